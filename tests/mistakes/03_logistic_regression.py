"""Typical wrong answers to assignment 3 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

_BCE_BODY = """    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()"""

_TRAIN = """def train_logistic(X, y, num_epochs, lr, batch_size, seed=0):
    generator = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for idx in minibatches(len(X), batch_size, generator):
            loss = binary_cross_entropy(sigmoid(X[idx] @ w + b), y[idx])
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad
{reset}
    return w.detach(), b.detach()"""

_NN = """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    torch.manual_seed(seed)
    model = {model}
    loss_fn = {loss}
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for epoch in range(num_epochs):
        for xb, yb in loader:
{zero}
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model"""

MISTAKES = {
    "naive sigmoid 1/(1+exp(-z)): NaN gradient at z = -1000": {
        "cell": "sigmoid",
        "code": """def sigmoid(z):
    return 1 / (1 + torch.exp(-z))""",
        "fails": {"test_sigmoid_extreme"},
    },
    "sigmoid as exp(z)/(1+exp(z)): NaN at z = 1000": {
        "cell": "sigmoid",
        "code": """def sigmoid(z):
    return torch.exp(z) / (1 + torch.exp(z))""",
        "fails": {"test_sigmoid_extreme"},
    },
    "stable branches, but |z| by z.abs(): gradient 0 at z = 0": {
        "cell": "sigmoid",
        "code": """def sigmoid(z):
    e = torch.exp(-z.abs())
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))""",
        "fails": {"test_sigmoid_extreme", "test_train_accuracy", "test_train_converges"},
    },
    "torch.where over two overflowing branches": {
        "cell": "sigmoid",
        "code": """def sigmoid(z):
    return torch.where(z >= 0, 1 / (1 + torch.exp(-z)), torch.exp(z) / (1 + torch.exp(z)))""",
        "fails": {"test_sigmoid_extreme"},
    },
    "sigmoid through numpy (graph lost, overflow warning)": {
        "cell": "sigmoid",
        "code": """import numpy as np
def sigmoid(z):
    return torch.from_numpy(1 / (1 + np.exp(-z.detach().numpy())))""",
        "fails": {"test_sigmoid_extreme", "test_train_accuracy", "test_train_converges"},
    },
    "calls torch.sigmoid": {
        "cell": "sigmoid",
        "code": """def sigmoid(z):
    return torch.sigmoid(z)""",
        "fails": {"test_sigmoid_extreme", "test_sigmoid_values", "test_train_accuracy", "test_train_converges"},
    },
    "log(0) not clipped": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y):
    y = y.reshape(p.shape).to(p.dtype)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme"},
    },
    "clipped with an eps lost in float32 (1 - 1e-12 == 1)": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y):
    y = y.reshape(p.shape).to(p.dtype)
    p = p.clamp(1e-12, 1 - 1e-12)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_extreme"},
    },
    "sum instead of mean": {
        "cell": "binary_cross_entropy",
        "code": "def binary_cross_entropy(p, y):\n" + _BCE_BODY.replace(".mean()", ".sum()"),
        "fails": {"test_bce_values", "test_bce_extreme", "test_train_accuracy", "test_train_converges"},
    },
    "sign error: log-likelihood instead of its negative": {
        "cell": "binary_cross_entropy",
        "code": "def binary_cross_entropy(p, y):\n" + _BCE_BODY.replace("return -(", "return ("),
        "fails": {"test_bce_values", "test_bce_extreme", "test_train_accuracy", "test_train_converges"},
    },
    "labels not reshaped: (n, 1) and (n,) broadcast to (n, n)": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y):
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values", "test_bce_extreme", "test_train_accuracy", "test_train_converges"},
    },
    "calls the library function": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y):
    return nn.functional.binary_cross_entropy(p, y.reshape(p.shape).to(p.dtype))""",
        "fails": {"test_bce_extreme", "test_bce_values", "test_train_accuracy", "test_train_converges"},
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
    "forgot to zero the gradients (from scratch)": {
        "cell": "train_logistic",
        "code": _TRAIN.format(reset=""),
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "optimizer.zero_grad() forgotten": {
        "cell": "train_nn",
        "code": _NN.format(model="nn.Linear(X.shape[1], 1)", loss="nn.BCEWithLogitsLoss()", zero=""),
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "sigmoid in the model, returned as nn.Sequential": {
        "cell": "train_nn",
        "code": _NN.format(model="nn.Sequential(nn.Linear(X.shape[1], 1), nn.Sigmoid())", loss="nn.BCELoss()",
                           zero="            optimizer.zero_grad()"),
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "sigmoid computed in float32 whatever z's dtype": {
        "cell": "sigmoid",
        "code": """def sigmoid(z):
    z = z.float()
    e = torch.exp(-torch.where(z >= 0, z, -z))
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))""",
        "fails": {"test_sigmoid_values"},
    },
    "loss always in float32, whatever p's dtype": {
        "cell": "binary_cross_entropy",
        "code": """def binary_cross_entropy(p, y):
    p = p.float()
    y = y.reshape(p.shape).float()
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()""",
        "fails": {"test_bce_values"},
    },
    "labels returned as booleans": {
        "cell": "predict",
        "code": """def predict(X, w, b):
    return (X @ w + b).reshape(-1) > 0""",
        "fails": {"test_predict"},
    },
    "train_logistic makes a new generator every epoch": {
        "cell": "train_logistic",
        "code": """def train_logistic(X, y, num_epochs, lr, batch_size, seed=0):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        generator = torch.Generator().manual_seed(seed)
        for idx in minibatches(len(X), batch_size, generator):
            loss = binary_cross_entropy(sigmoid(X[idx] @ w + b), y[idx])
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad
                    param.grad = None
    return w.detach(), b.detach()""",
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_logistic shuffles with the global generator": {
        "cell": "train_logistic",
        "code": """def train_logistic(X, y, num_epochs, lr, batch_size, seed=0):
    generator = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for idx in minibatches(len(X), batch_size, None):
            loss = binary_cross_entropy(sigmoid(X[idx] @ w + b), y[idx])
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad
                    param.grad = None
    return w.detach(), b.detach()""",
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_logistic drops the short last batch": {
        "cell": "train_logistic",
        "code": """def train_logistic(X, y, num_epochs, lr, batch_size, seed=0):
    generator = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for idx in minibatches(len(X), batch_size, generator):
            if len(idx) < batch_size:
                continue
            loss = binary_cross_entropy(sigmoid(X[idx] @ w + b), y[idx])
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad
                    param.grad = None
    return w.detach(), b.detach()""",
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_logistic trains with the squared error instead of the cross-entropy": {
        "cell": "train_logistic",
        "code": """def train_logistic(X, y, num_epochs, lr, batch_size, seed=0):
    generator = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for idx in minibatches(len(X), batch_size, generator):
            loss = ((sigmoid(X[idx] @ w + b).reshape(-1) - y[idx]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad
                    param.grad = None
    return w.detach(), b.detach()""",
        "fails": {"test_train_accuracy", "test_train_converges"},
    },
    "train_nn without torch.manual_seed(seed): the initialisation is not fixed": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    model = nn.Linear(X.shape[1], 1)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for epoch in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model""",
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn seeds after creating the model": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    model = nn.Linear(X.shape[1], 1)
    torch.manual_seed(seed)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for epoch in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model""",
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn makes a new loader and generator every epoch": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(num_epochs):
        loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model""",
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn without shuffling": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=False)
    for epoch in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model""",
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn drops the short last batch (drop_last=True)": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed), drop_last=True)
    for epoch in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model""",
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn trains with nn.MSELoss on the logits": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for epoch in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model""",
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_nn stops each epoch one step before the loader is exhausted": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, num_epochs, lr, batch_size, seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(X.shape[1], 1)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for epoch in range(num_epochs):
        batches = iter(loader)
        for step in range(len(loader)):      # never asks for the end: the loader's last draw is skipped
            xb, yb = next(batches)
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model""",
        "fails": {"test_nn_accuracy", "test_nn_converges"},
    },
    "train_logistic with the library's sigmoid and loss": {
        "cell": "train_logistic",
        "code": """def train_logistic(X, y, num_epochs, lr, batch_size, seed=0):
    generator = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for idx in minibatches(len(X), batch_size, generator):
            p = torch.sigmoid(X[idx] @ w + b).reshape(-1)
            loss = nn.functional.binary_cross_entropy(p, y[idx])
            loss.backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad
                    param.grad = None
    return w.detach(), b.detach()""",
        "fails": {"test_train_accuracy", "test_train_converges"},
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
    "wrong": "naive sigmoid 1/(1+exp(-z)): NaN gradient at z = -1000",
    "scores": {"alice": 19, "bob": 0, "carol": 17},
}
