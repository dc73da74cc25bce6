"""Typical wrong answers to assignment 3 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.

Exercises 4 and 5 (train_logistic, train_nn) are graded on the outcome (grading/outcome.py):
accuracy on hidden well-separated classes (full marks at 0.95) and the Brier score of the
probabilities on hidden overlapping ones (full marks at 0.16). A training mistake is listed here
only when it misses full marks on every secret measured by benchmarks/outcome_margins.py; some
that look wrong train well enough and are not listed: the squared error of the probabilities
instead of the cross-entropy (it has the same minimiser, and reached the solution's Brier score),
and, near the 0.16 bar (0.12 to 0.18 depending on the hidden set and the run), a sigmoid applied
twice (BCEWithLogitsLoss on probabilities), minibatches taken in the class-by-class order
unshuffled, a `return` inside the epoch loop (one epoch of SGD at lr=0.5), and train_logistic's
gradients never reset (0.162 to 0.21 on the worst set: it missed full marks on every secret, but by
too little to be listed without making tests/test_mistakes.py flaky; train_nn's forgotten
zero_grad, 0.20 or more, is listed).
"""

_BCE_BODY = """    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"""

_TRAIN = """def train_logistic(X, y, num_epochs=50, lr=0.5, batch_size=20):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for idx in minibatches(len(X), batch_size):
            loss = binary_cross_entropy(sigmoid(X[idx] @ w + b), y[idx])
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad
                    param.grad = None
    return w.detach(), b.detach()"""

_NN = """def train_nn(X, y, num_epochs=50, lr=0.5, batch_size=20):
    model = nn.Linear(X.shape[1], 1)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    for epoch in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model"""


def _changed(template, old, new):
    """`template` with `old` (which must be in it) replaced by `new`."""
    assert old in template, old
    return template.replace(old, new)


MISTAKES = {
    "naive log-sigmoid log(1/(1+exp(-z))): -inf at z = -1000": {
        "cell": "log_sigmoid",
        "code": """def log_sigmoid(z):
    return torch.log(1 / (1 + torch.exp(-z)))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "-log(1 + exp(-z)) in one branch: overflows at z = -1000": {
        "cell": "log_sigmoid",
        "code": """def log_sigmoid(z):
    return -torch.log1p(torch.exp(-z))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "log of lesson 3's stable sigmoid: -inf once σ(z) rounds to 0": {
        "cell": "log_sigmoid",
        "code": """def log_sigmoid(z):
    e = torch.exp(-torch.where(z >= 0, z, -z))
    return torch.log(torch.where(z >= 0, 1 / (1 + e), e / (1 + e)))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "stable branches, but |z| by z.abs(): gradient 0 at z = 0": {
        "cell": "log_sigmoid",
        "code": """def log_sigmoid(z):
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, -torch.log1p(e), z - torch.log1p(e))""",
        "fails": {"test_log_sigmoid_extreme", "test_train_accuracy", "test_train_converges"},
    },
    "torch.where over two overflowing branches": {
        "cell": "log_sigmoid",
        "code": """def log_sigmoid(z):
    return torch.where(z >= 0, -torch.log1p(torch.exp(-z)), z - torch.log1p(torch.exp(z)))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "calls F.logsigmoid": {
        "cell": "log_sigmoid",
        "code": """def log_sigmoid(z):
    return nn.functional.logsigmoid(z)""",
        "fails": {"test_log_sigmoid_extreme", "test_log_sigmoid_values", "test_train_accuracy", "test_train_converges"},
    },
    "log-sigmoid computed in float32 whatever z's dtype": {
        "cell": "log_sigmoid",
        "code": """def log_sigmoid(z):
    z = z.float()
    e = torch.exp(-torch.where(z >= 0, z, -z))
    return torch.where(z >= 0, -torch.log1p(e), z - torch.log1p(e))""",
        "fails": {"test_log_sigmoid_values", "test_log_sigmoid_extreme"},
    },
    "log(0) not clipped": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme"},
    },
    "clipped with an eps lost in float32 (1 - 1e-12 == 1)": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-12, 1 - 1e-12)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme"},
    },
    "sum instead of mean": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum()""",
        "fails": {"test_bce_values", "test_bce_extreme"},
        # 20 times the step: the model still classifies, and its probabilities are too sure, but
        # their Brier score lands near the 0.16 bar: it fails test_train_converges on some hidden
        # sets and random streams, not all (grading_error_rates found one where it passed)
        "may_fail": {"test_train_converges"},
    },
    "sign error: log-likelihood instead of its negative": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return (pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme", "test_bce_values", "test_train_accuracy", "test_train_converges"},
    },
    "labels not reshaped: (n, 1) and (n,) broadcast to (n, n)": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme", "test_bce_values", "test_train_accuracy", "test_train_converges"},
    },
    "calls the library function": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    return nn.functional.binary_cross_entropy_with_logits(
        torch.logit(p), y.reshape(p.shape).to(p.dtype), pos_weight=torch.tensor(pos_weight))""",
        "fails": {"test_bce_extreme", "test_bce_values", "test_train_accuracy", "test_train_converges"},
    },
    "loss always in float32, whatever p's dtype": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    p = p.float()
    y = y.reshape(p.shape).float()
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values"},
    },
    "pos_weight ignored (lesson 3's loss)": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values", "test_bce_extreme"},
    },
    "pos_weight on the negatives' term": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + pos_weight * (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values", "test_bce_extreme"},
    },
    "a weighted mean: divided by the total weight instead of n": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    weights = pos_weight * y + (1 - y)
    return -(weights * (y * torch.log(p) + (1 - y) * torch.log(1 - p))).sum() / weights.sum()""",
        "fails": {"test_bce_values", "test_bce_extreme"},
    },
    "pos_weight multiplies the whole loss": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -pos_weight * (y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values", "test_bce_extreme"},
    },
    "threshold 0.5 on the logits": {
        "cell": "predict",
        "code": """def predict(X, w, b):
    return ((X @ w + b).reshape(-1) > 0.5).long()""",
        "fails": {"test_predict"},
    },
    "labels returned as a (n, 1) column": {
        "cell": "predict",
        "code": """def predict(X, w, b):
    return (X @ w + b > 0).long()""",
        "fails": {"test_predict"},
    },
    "labels returned as booleans": {
        "cell": "predict",
        "code": """def predict(X, w, b):
    return (X @ w + b).reshape(-1) > 0""",
        "fails": {"test_predict"},
    },
    # Exercises 4 and 5 are graded on the outcome (accuracy and Brier score on hidden held-out sets,
    # source/03_logistic_regression/heldout.py): what is caught is a model that classifies or
    # estimates probabilities badly, whatever the code looks like. The values each mistake reaches:
    # benchmarks/outcome_margins.py 03_logistic_regression.
    "train_logistic: undertrained (5 epochs at lr=0.05)": {
        "cell": "train_logistic",
        "code": _changed(_TRAIN, "num_epochs=50, lr=0.5", "num_epochs=5, lr=0.05"),
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_logistic: gradient ascent, param += lr * grad": {
        "cell": "train_logistic",
        "code": _changed(_TRAIN, "param -= lr", "param += lr"),
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_logistic: only w is updated, the bias stays 0": {
        "cell": "train_logistic",
        "code": _changed(_TRAIN, "for param in (w, b):", "for param in (w,):"),
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_logistic: minibatches(batch_size, len(X)), trains on the first rows only": {
        "cell": "train_logistic",
        "code": _changed(_TRAIN, "minibatches(len(X), batch_size)", "minibatches(batch_size, len(X))"),
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_logistic with the library's sigmoid and loss": {
        "cell": "train_logistic",
        "code": _changed(_TRAIN, "binary_cross_entropy(sigmoid(X[idx] @ w + b), y[idx])",
                         "nn.functional.binary_cross_entropy(torch.sigmoid(X[idx] @ w + b).reshape(-1), y[idx])"),
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_nn: optimizer.zero_grad() forgotten": {
        "cell": "train_nn",
        "code": _changed(_NN, "            optimizer.zero_grad()\n", ""),
        "fails": {"test_nn_converges"},
    },
    "train_nn: a sigmoid in the model, returned as nn.Sequential": {
        "cell": "train_nn",
        "code": _changed(_changed(_NN, "model = nn.Linear(X.shape[1], 1)",
                                  "model = nn.Sequential(nn.Linear(X.shape[1], 1), nn.Sigmoid())"),
                         "nn.BCEWithLogitsLoss()", "nn.BCELoss()"),
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn: nn.MSELoss on the logits": {
        "cell": "train_nn",
        "code": _changed(_NN, "nn.BCEWithLogitsLoss()", "nn.MSELoss()"),
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn: the loss's arguments swapped, loss_fn(yb, model(xb))": {
        "cell": "train_nn",
        "code": _changed(_NN, "loss_fn(model(xb), yb)", "loss_fn(yb, model(xb))"),
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn: nn.Linear without a bias": {
        "cell": "train_nn",
        "code": _changed(_NN, "nn.Linear(X.shape[1], 1)", "nn.Linear(X.shape[1], 1, bias=False)"),
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn: undertrained (20 epochs at lr=0.01)": {
        "cell": "train_nn",
        "code": _changed(_NN, "num_epochs=50, lr=0.5", "num_epochs=20, lr=0.01"),
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    'predict: a probability of exactly 0.5 counted as class 1': {
        "cell": "predict",
        "code": """def predict(X, w, b):
    return ((X @ w + b).reshape(-1) >= 0).long()""",
        "fails": {"test_predict"},
    },
    'gradient: summed over the examples, not averaged': {
        "cell": 'bce_gradients',
        "code": """def bce_gradients(X, y, w, b):
    r = torch.sigmoid(X @ w + b) - y.reshape(-1, 1)
    return X.T @ r, r.sum(dim=0)""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: sign flipped, y - p': {
        "cell": 'bce_gradients',
        "code": """def bce_gradients(X, y, w, b):
    r = y.reshape(-1, 1) - torch.sigmoid(X @ w + b)
    return X.T @ r / len(X), r.mean(dim=0)""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: dw of shape (1, d)': {
        "cell": 'bce_gradients',
        "code": """def bce_gradients(X, y, w, b):
    r = torch.sigmoid(X @ w + b) - y.reshape(-1, 1)
    return r.T @ X / len(X), r.mean(dim=0)""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: by autograd after all': {
        "cell": 'bce_gradients',
        "code": """def bce_gradients(X, y, w, b):
    w, b = w.clone().requires_grad_(), b.clone().requires_grad_()
    p = torch.sigmoid(X @ w + b).reshape(-1)
    (-(y * p.log() + (1 - y) * (1 - p).log()).mean()).backward()
    return w.grad, b.grad""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: chain rule through the clipped probability (0 where sigma saturates)': {
        "cell": 'bce_gradients',
        "code": """def bce_gradients(X, y, w, b):
    s = torch.sigmoid(X @ w + b)
    p = s.clamp(1e-7, 1 - 1e-7)
    y = y.reshape(-1, 1)
    dz = (-y / p + (1 - y) / (1 - p)) * s * (1 - s)
    return X.T @ dz / len(X), dz.mean(dim=0)""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: y (n,) against p (n, 1) broadcast to (n, n)': {
        "cell": 'bce_gradients',
        "code": """def bce_gradients(X, y, w, b):
    r = torch.sigmoid(X @ w + b) - y
    return (X.T @ r).mean(dim=1, keepdim=True) / len(X), r.mean().reshape(1)""",
        "fails": {'test_bce_gradients'},
    },
    'numerical: one-sided difference': {
        "cell": 'numerical_gradient',
        "code": """def numerical_gradient(f, x, h=1e-5):
    grad = torch.zeros_like(x)
    base = float(f(x))
    for i in range(x.numel()):
        e = torch.zeros_like(x).view(-1)
        e[i] = h
        grad.view(-1)[i] = (float(f(x + e.view(x.shape))) - base) / h
    return grad""",
        "fails": {'test_numerical_gradient'},
    },
    'numerical: divided by h instead of 2h': {
        "cell": 'numerical_gradient',
        "code": """def numerical_gradient(f, x, h=1e-5):
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        e = torch.zeros_like(x).view(-1)
        e[i] = h
        e = e.view(x.shape)
        grad.view(-1)[i] = (float(f(x + e)) - float(f(x - e))) / h
    return grad""",
        "fails": {'test_numerical_gradient'},
    },
    'numerical: x left perturbed': {
        "cell": 'numerical_gradient',
        "code": """def numerical_gradient(f, x, h=1e-5):
    grad = torch.zeros_like(x)
    flat = x.view(-1)
    for i in range(flat.numel()):
        flat[i] += h
        up = float(f(x))
        flat[i] -= 2 * h
        down = float(f(x))
        grad.view(-1)[i] = (up - down) / (2 * h)
    return grad""",
        "fails": {'test_numerical_gradient'},
    },
    'numerical: every entry perturbed at once': {
        "cell": 'numerical_gradient',
        "code": """def numerical_gradient(f, x, h=1e-5):
    slope = (float(f(x + h)) - float(f(x - h))) / (2 * h)
    return torch.full_like(x, slope)""",
        "fails": {'test_numerical_gradient'},
    },
}

DEMO = {
    "wrong": "naive log-sigmoid log(1/(1+exp(-z))): -inf at z = -1000",
    "scores": {"alice": 19, "bob": 0, "carol": 17},
}
