"""Typical wrong answers to assignment 3 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get. Every entry has a
"hint": what a student whose failures match it reads in their feedback (docs/report.md).

Exercises 4 and 5 (train_logistic, train_multilabel) are graded on the outcome (grading/outcome.py,
source/03_logistic_regression/heldout.py): train_logistic on the balanced accuracy of held-out
points after training on rare positives (full marks at 0.78) and on the Brier score of its
probabilities on balanced overlapping classes (full marks at 0.16); train_multilabel on the
accuracy over all the labels (full marks at 0.80) and the Brier score (full marks at 0.14). A
training mistake is listed here only when it misses full marks on every secret measured by
benchmarks/outcome_margins.py (the values each one reaches: docs/outcome-tests.md).
"""

_BCE_BODY = """    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"""

_TRAIN = """def train_logistic(X, y, num_epochs=200, lr=0.5):
    y = y.float()
    pos_weight = ((len(y) - y.sum()) / y.sum()).item()
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        loss = binary_cross_entropy(sigmoid(X @ w + b), y, pos_weight=pos_weight)
        loss.backward()
        with torch.no_grad():
            for param in (w, b):
                param -= lr * param.grad
                param.grad = None
    return w.detach(), b.detach()"""

_MULTI = """def train_multilabel(X, Y, num_epochs=50, lr=0.5, batch_size=20):
    model = nn.Linear(X.shape[1], Y.shape[1])
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, Y.float()), batch_size=batch_size, shuffle=True)
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
        "hint": "For a very negative z, e to the minus z overflows and σ(z) rounds to zero, whose log is -inf. Rewrite log σ(z) so that only e to a power that is not positive appears, and never take the log of σ itself.",
        "code": """def log_sigmoid(z):
    return torch.log(1 / (1 + torch.exp(-z)))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "-log(1 + exp(-z)) in one branch: overflows at z = -1000": {
        "cell": "log_sigmoid",
        "hint": "For a very negative z, e to the minus z overflows and σ(z) rounds to zero, whose log is -inf. Rewrite log σ(z) so that only e to a power that is not positive appears, and never take the log of σ itself.",
        "code": """def log_sigmoid(z):
    return -torch.log1p(torch.exp(-z))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "log of lesson 3's stable sigmoid: -inf once σ(z) rounds to 0": {
        "cell": "log_sigmoid",
        "hint": "For a very negative z, e to the minus z overflows and σ(z) rounds to zero, whose log is -inf. Rewrite log σ(z) so that only e to a power that is not positive appears, and never take the log of σ itself.",
        "code": """def log_sigmoid(z):
    e = torch.exp(-torch.where(z >= 0, z, -z))
    return torch.log(torch.where(z >= 0, 1 / (1 + e), e / (1 + e)))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "stable branches, but |z| by z.abs(): gradient 0 at z = 0": {
        "cell": "log_sigmoid",
        "hint": "Look at the gradient at z = 0 (see the exercise's hint): what is the gradient of z.abs() there, and what does torch.where give?",
        "code": """def log_sigmoid(z):
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, -torch.log1p(e), z - torch.log1p(e))""",
        "fails": {"test_log_sigmoid_extreme", "test_train_rare", "test_train_balanced"},
    },
    "torch.where over two overflowing branches": {
        "cell": "log_sigmoid",
        "hint": "torch.where computes both branches for every element, and an inf in the branch it does not pick still makes a NaN gradient.",
        "code": """def log_sigmoid(z):
    return torch.where(z >= 0, -torch.log1p(torch.exp(-z)), z - torch.log1p(torch.exp(z)))""",
        "fails": {"test_log_sigmoid_extreme"},
    },
    "calls F.logsigmoid": {
        "cell": "log_sigmoid",
        "hint": "This exercise asks for log σ from scratch: the library's logsigmoid and sigmoid are not allowed.",
        "code": """def log_sigmoid(z):
    return nn.functional.logsigmoid(z)""",
        "fails": {"test_log_sigmoid_extreme", "test_log_sigmoid_values", "test_train_rare", "test_train_balanced"},
    },
    "log-sigmoid computed in float32 whatever z's dtype": {
        "cell": "log_sigmoid",
        "hint": "Is the result in the dtype of the input? Check what happens to a float64 tensor inside your function.",
        "code": """def log_sigmoid(z):
    z = z.float()
    e = torch.exp(-torch.where(z >= 0, z, -z))
    return torch.where(z >= 0, -torch.log1p(e), z - torch.log1p(e))""",
        "fails": {"test_log_sigmoid_values", "test_log_sigmoid_extreme"},
    },
    "log(0) not clipped": {
        "cell": "binary_cross_entropy",
        "hint": "A prediction of exactly 0 or 1 makes a log of zero: clip p before the log, with an ε that float32 does not lose to rounding (is 1 - ε still below 1?).",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme"},
    },
    "clipped with an eps lost in float32 (1 - 1e-12 == 1)": {
        "cell": "binary_cross_entropy",
        "hint": "A prediction of exactly 0 or 1 makes a log of zero: clip p before the log, with an ε that float32 does not lose to rounding (is 1 - ε still below 1?).",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-12, 1 - 1e-12)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme"},
    },
    "sum instead of mean": {
        "cell": "binary_cross_entropy",
        "hint": "The loss should not grow with the number of examples: repeat the batch and compare.",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum()""",
        # train_logistic's steps grow with the number of points: the rare sets fail (0.54-0.57), the
        # balanced ones land near the Brier bar (0.173-0.232 on 5 secrets)
        "fails": {"test_bce_values", "test_bce_extreme", "test_train_rare"},
        "may_fail": {"test_train_balanced"},
    },
    "sign error: log-likelihood instead of its negative": {
        "cell": "binary_cross_entropy",
        "hint": "A loss should be small for good predictions. Is yours positive, and does it shrink as p approaches the label?",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return (pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme", "test_bce_values", "test_train_rare", "test_train_balanced"},
    },
    "labels not reshaped: (n, 1) and (n,) broadcast to (n, n)": {
        "cell": "binary_cross_entropy",
        "hint": "Print the shape of the product of p and y when p is a column: what does broadcasting make of it?",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme", "test_bce_values", "test_train_rare", "test_train_balanced"},
    },
    "calls the library function": {
        "cell": "binary_cross_entropy",
        "hint": "This exercise asks for the loss from scratch: the library's binary cross-entropy functions are not allowed.",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    return nn.functional.binary_cross_entropy_with_logits(
        torch.logit(p), y.reshape(p.shape).to(p.dtype), pos_weight=torch.tensor(pos_weight))""",
        "fails": {"test_bce_extreme", "test_bce_values", "test_train_rare", "test_train_balanced"},
    },
    "loss always in float32, whatever p's dtype": {
        "cell": "binary_cross_entropy",
        "hint": "Is the loss in the dtype of p? Check with float64 inputs.",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    p = p.float()
    y = y.reshape(p.shape).float()
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(pos_weight * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values"},
    },
    "pos_weight ignored (lesson 3's loss)": {
        "cell": "binary_cross_entropy",
        "hint": "Where does pos_weight enter your formula? Compare with the library's loss for a weight other than one.",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values", "test_bce_extreme", "test_train_rare"},
    },
    "pos_weight on the negatives' term": {
        "cell": "binary_cross_entropy",
        "hint": "Which term of the loss belongs to the positive examples? That is the one the weight multiplies.",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + pos_weight * (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values", "test_bce_extreme", "test_train_rare"},
    },
    "a weighted mean: divided by the total weight instead of n": {
        "cell": "binary_cross_entropy",
        "hint": "Look at what the mean divides by: the number of examples, as the library's loss does, or something else?",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    weights = pos_weight * y + (1 - y)
    return -(weights * (y * torch.log(p) + (1 - y) * torch.log(1 - p))).sum() / weights.sum()""",
        "fails": {"test_bce_values", "test_bce_extreme"},
    },
    "pos_weight multiplies the whole loss": {
        "cell": "binary_cross_entropy",
        "hint": "The weight applies to one class's term only, not to the whole loss.",
        "code": """def binary_cross_entropy(p, y, pos_weight=1.0):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -pos_weight * (y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values", "test_bce_extreme", "test_train_rare"},
    },
    "threshold 0.5 on the logits": {
        "cell": "predict",
        "hint": "X @ w + b is a logit, not a probability. Which logit corresponds to a probability of one half?",
        "code": """def predict(X, w, b):
    return ((X @ w + b).reshape(-1) > 0.5).long()""",
        "fails": {"test_predict"},
    },
    "labels returned as a (n, 1) column": {
        "cell": "predict",
        "hint": "Check the shape of what you return: one label per row of X, as a flat tensor.",
        "code": """def predict(X, w, b):
    return (X @ w + b > 0).long()""",
        "fails": {"test_predict"},
    },
    "labels returned as booleans": {
        "cell": "predict",
        "hint": "Check the dtype of what you return: the exercise asks for integer labels.",
        "code": """def predict(X, w, b):
    return (X @ w + b).reshape(-1) > 0""",
        "fails": {"test_predict"},
    },
    # Exercises 4 and 5 are graded on the outcome (balanced accuracy, accuracy over all the labels and
    # Brier scores on hidden held-out sets, source/03_logistic_regression/heldout.py): what is caught
    # is a model that classifies or estimates probabilities badly, whatever the code looks like. The
    # values each mistake reaches: benchmarks/outcome_margins.py 03_logistic_regression.
    "train_logistic: pos_weight left at 1, lesson 3's loss": {
        "cell": "train_logistic",
        "hint": "With one class rare, the plain loss is smallest for a model that leans towards the common class. "
                "How much should each positive weigh so that the two classes count alike?",
        "code": _changed(_TRAIN, "pos_weight = ((len(y) - y.sum()) / y.sum()).item()", "pos_weight = 1.0"),
        "fails": {"test_train_rare"},
    },
    "train_logistic: pos_weight inverted, positives per negative": {
        "cell": "train_logistic",
        "hint": "Which class should your weight make heavier, the rare one or the common one? Check which count "
                "goes on top of your ratio.",
        "code": _changed(_TRAIN, "pos_weight = ((len(y) - y.sum()) / y.sum()).item()",
                         "pos_weight = (y.sum() / (len(y) - y.sum())).item()"),
        "fails": {"test_train_rare"},
    },
    "train_logistic: pos_weight fixed at exercise 2's example, 19": {
        "cell": "train_logistic",
        "hint": "Your weight should follow the training labels: what should it be when both classes have the "
                "same size, and do your probabilities stay honest then?",
        "code": _changed(_TRAIN, "pos_weight = ((len(y) - y.sum()) / y.sum()).item()", "pos_weight = 19.0"),
        "fails": {"test_train_balanced"},
    },
    "train_logistic: gradient ascent, param += lr * grad": {
        "cell": "train_logistic",
        "hint": "The gradient points to where the loss grows. Which way must a step go to make it smaller?",
        "code": _changed(_TRAIN, "param -= lr", "param += lr"),
        "fails": {"test_train_rare", "test_train_balanced"},
    },
    "train_logistic: only w is updated, the bias stays 0": {
        "cell": "train_logistic",
        "hint": "The classes lie away from the origin. Which parameter lets the boundary move there, and does "
                "your loop update it?",
        "code": _changed(_TRAIN, "for param in (w, b):", "for param in (w,):"),
        "fails": {"test_train_rare", "test_train_balanced"},
    },
    "train_logistic: undertrained, 10 steps at lr=0.05": {
        "cell": "train_logistic",
        "hint": "Print the training loss as your loop runs: has it stopped falling when the loop ends?",
        "code": _changed(_TRAIN, "num_epochs=200, lr=0.5", "num_epochs=10, lr=0.05"),
        "fails": {"test_train_rare", "test_train_balanced"},
    },
    "train_logistic: torch.optim.SGD does the update": {
        "cell": "train_logistic",
        "hint": "This exercise is from scratch: train with this notebook's sigmoid and binary_cross_entropy, and write the update yourself under torch.no_grad(); the library's optimisers, losses and sigmoid are not allowed here.",
        "code": _changed(_changed(_TRAIN, "    for epoch in range(num_epochs):",
                                  "    optimizer = torch.optim.SGD([w, b], lr=lr)\n    for epoch in range(num_epochs):"),
                         """        loss.backward()
        with torch.no_grad():
            for param in (w, b):
                param -= lr * param.grad
                param.grad = None""", """        optimizer.zero_grad()
        loss.backward()
        optimizer.step()"""),
        "fails": {"test_train_rare", "test_train_balanced"},
    },
    "train_logistic with the library's sigmoid and loss": {
        "cell": "train_logistic",
        "hint": "This exercise is from scratch: train with this notebook's sigmoid and binary_cross_entropy, and write the update yourself under torch.no_grad(); the library's optimisers, losses and sigmoid are not allowed here.",
        "code": _changed(_TRAIN, "binary_cross_entropy(sigmoid(X @ w + b), y, pos_weight=pos_weight)",
                         "nn.functional.binary_cross_entropy_with_logits((X @ w + b).reshape(-1), y, "
                         "pos_weight=torch.tensor(pos_weight))"),
        "fails": {"test_train_rare", "test_train_balanced"},
    },
    "train_multilabel: lesson 3's targets, Y.reshape(-1, 1)": {
        "cell": "train_multilabel",
        "hint": "Each example has one target per label. What shape must the targets have to match the "
                "model's output for a batch?",
        "code": _changed(_MULTI, "TensorDataset(X, Y.float())", "TensorDataset(X, Y.reshape(-1, 1).float())"),
        "fails": {"test_multilabel_model", "test_multilabel_accuracy", "test_multilabel_probabilities"},
    },
    "train_multilabel: nn.Linear(d, 1), one output for all the labels": {
        "cell": "train_multilabel",
        "hint": "How many yes/no answers does the model give per example, and so how many outputs does its "
                "layer need?",
        "code": _changed(_MULTI, "nn.Linear(X.shape[1], Y.shape[1])", "nn.Linear(X.shape[1], 1)"),
        "fails": {"test_multilabel_model", "test_multilabel_accuracy", "test_multilabel_probabilities"},
    },
    "train_multilabel: softmax over the labels, nn.CrossEntropyLoss": {
        "cell": "train_multilabel",
        "hint": "The labels are independent yes/no questions and several may be yes at once: does a softmax, "
                "which shares one unit of probability among them, allow that?",
        "code": _changed(_MULTI, "nn.BCEWithLogitsLoss()", "nn.CrossEntropyLoss()"),
        "fails": {"test_multilabel_accuracy", "test_multilabel_probabilities"},
    },
    "train_multilabel: a sigmoid in the model, trained with nn.BCELoss": {
        "cell": "train_multilabel",
        "hint": "The tests read your model's output as logits (yes above 0). Where should the sigmoid live?",
        "code": _changed(_changed(_MULTI, "model = nn.Linear(X.shape[1], Y.shape[1])",
                                  "model = nn.Sequential(nn.Linear(X.shape[1], Y.shape[1]), nn.Sigmoid())"),
                         "nn.BCEWithLogitsLoss()", "nn.BCELoss()"),
        "fails": {"test_multilabel_accuracy", "test_multilabel_probabilities"},
    },
    "train_multilabel: nn.MSELoss on the logits": {
        "cell": "train_multilabel",
        "hint": "A squared error between a logit and a 0/1 label is not the log-likelihood of the label. Which "
                "loss takes logits and labels?",
        "code": _changed(_MULTI, "nn.BCEWithLogitsLoss()", "nn.MSELoss()"),
        "fails": {"test_multilabel_accuracy", "test_multilabel_probabilities"},
    },
    "train_multilabel: optimizer.zero_grad() forgotten": {
        "cell": "train_multilabel",
        "hint": "backward() adds to the gradients already stored. What clears them before each step?",
        "code": _changed(_MULTI, "            optimizer.zero_grad()\n", ""),
        # the gradients add up over the epoch: still a fair classifier, near the accuracy bar
        "fails": {"test_multilabel_probabilities"},
        "may_fail": {"test_multilabel_accuracy"},
    },
    "train_multilabel: undertrained (20 epochs at lr=0.01)": {
        "cell": "train_multilabel",
        "hint": "Print the training loss per epoch: has it stopped falling when your loop ends?",
        "code": _changed(_MULTI, "num_epochs=50, lr=0.5", "num_epochs=20, lr=0.01"),
        "fails": {"test_multilabel_accuracy", "test_multilabel_probabilities"},
    },
    "train_multilabel: returns (model, losses)": {
        "cell": "train_multilabel",
        "hint": "Return the trained module alone: the tests call it on new points.",
        "code": _changed(_changed(_MULTI, "    for epoch in range(num_epochs):", "    losses = []\n    for epoch in range(num_epochs):"),
                         "            loss_fn(model(xb), yb).backward()",
                         "            loss = loss_fn(model(xb), yb)\n            loss.backward()\n            losses.append(loss.item())").replace(
                             "    return model", "    return model, losses"),
        "fails": {"test_multilabel_model", "test_multilabel_accuracy", "test_multilabel_probabilities"},
    },
    'predict: a probability of exactly 0.5 counted as class 1': {
        "cell": "predict",
        "hint": "Class 1 is where the probability is strictly above one half. What happens at a logit of exactly zero?",
        "code": """def predict(X, w, b):
    return ((X @ w + b).reshape(-1) >= 0).long()""",
        "fails": {"test_predict"},
    },
    'gradient: summed over the examples, not averaged': {
        "cell": 'bce_gradients',
        "hint": "The loss is a mean over the examples, so its gradient is one too.",
        "code": """def bce_gradients(X, y, w, b):
    r = torch.sigmoid(X @ w + b) - y.reshape(-1, 1)
    return X.T @ r, r.sum(dim=0)""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: sign flipped, y - p': {
        "cell": 'bce_gradients',
        "hint": "Check the sign of your derivative against autograd on a small example.",
        "code": """def bce_gradients(X, y, w, b):
    r = y.reshape(-1, 1) - torch.sigmoid(X @ w + b)
    return X.T @ r / len(X), r.mean(dim=0)""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: dw of shape (1, d)': {
        "cell": 'bce_gradients',
        "hint": "The gradient has the shape of the parameter: compare the shape of dw with that of w.",
        "code": """def bce_gradients(X, y, w, b):
    r = torch.sigmoid(X @ w + b) - y.reshape(-1, 1)
    return r.T @ X / len(X), r.mean(dim=0)""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: by autograd after all': {
        "cell": 'bce_gradients',
        "hint": "This exercise asks for the gradient derived by hand, without backward or torch.autograd.",
        "code": """def bce_gradients(X, y, w, b):
    w, b = w.clone().requires_grad_(), b.clone().requires_grad_()
    p = torch.sigmoid(X @ w + b).reshape(-1)
    (-(y * p.log() + (1 - y) * (1 - p).log()).mean()).backward()
    return w.grad, b.grad""",
        "fails": {'test_bce_gradients'},
    },
    'gradient: chain rule through the clipped probability (0 where sigma saturates)': {
        "cell": 'bce_gradients',
        "hint": "Where the sigmoid saturates, the chain through log p gives zero times a huge number. Simplify dL/dz first: most of it cancels.",
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
        "hint": "Print the shape of p - y when p is a column and y is flat: reshape before subtracting.",
        "code": """def bce_gradients(X, y, w, b):
    r = torch.sigmoid(X @ w + b) - y
    return (X.T @ r).mean(dim=1, keepdim=True) / len(X), r.mean().reshape(1)""",
        "fails": {'test_bce_gradients'},
    },
    'numerical: one-sided difference': {
        "cell": 'numerical_gradient',
        "hint": "The exercise asks for the central difference: a step up and a step down from x.",
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
        "hint": "The two points of a central difference are how far apart?",
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
        "hint": "After your function returns, is x exactly what it was? Restore each entry after perturbing it.",
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
        "hint": "Perturb one entry at a time, so that each entry of the result is the slope along one coordinate.",
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
