"""Typical wrong answers to assignment 2 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

MISTAKES = {
    "linreg without the bias": {
        "cell": "linreg",
        "code": """def linreg(X, w, b):
    return X @ w""",
        "fails": {"test_linreg", "test_train_linreg"},
    },
    "linreg flattened to shape (n,)": {
        "cell": "linreg",
        "code": """def linreg(X, w, b):
    return X @ w.reshape(-1) + b""",
        "fails": {"test_linreg"},
    },
    "squared_loss without reshaping: (n, 1) - (n,) broadcasts to (n, n)": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return ((y_hat - y) ** 2 / 2).reshape(-1)""",
        "fails": {"test_squared_loss_shape", "test_squared_loss_values", "test_train_linreg"},
    },
    "squared_loss keeps shape (n, 1)": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2""",
        "fails": {"test_squared_loss_shape", "test_squared_loss_values"},
    },
    "squared_loss summed over the batch": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return ((y_hat.reshape(-1) - y.reshape(-1)) ** 2 / 2).sum()""",
        "fails": {"test_squared_loss_shape", "test_squared_loss_values"},
    },
    "squared_loss averaged, then sgd divides again": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return ((y_hat.reshape(-1) - y.reshape(-1)) ** 2 / 2).mean()""",
        "fails": {"test_squared_loss_shape", "test_squared_loss_values", "test_train_linreg"},
    },
    "squared_loss without the 1/2": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return (y_hat.reshape(-1) - y.reshape(-1)) ** 2""",
        "fails": {"test_squared_loss_shape", "test_squared_loss_values"},
    },
    "squared_loss calls nn.functional.mse_loss": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return torch.nn.functional.mse_loss(y_hat.reshape(-1), y.reshape(-1), reduction="none") / 2""",
        "fails": {"test_squared_loss_shape", "test_squared_loss_values", "test_train_linreg"},
    },
    "sgd without torch.no_grad()": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    for p in params:
        p -= lr * p.grad / batch_size
        p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state", "test_train_linreg"},
    },
    "sgd forgets to zero the gradients": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size""",
        "fails": {"test_sgd_state", "test_train_linreg"},
    },
    "sgd with the sign flipped (gradient ascent)": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad / batch_size
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state", "test_train_linreg"},
    },
    "sgd does not divide by the batch size": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state"},
    },
    "sgd divides by the batch size twice": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size / batch_size
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state", "test_train_linreg"},
    },
    "sgd replaces p.data instead of updating in place": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    for p in params:
        p.data = p.data - lr * p.grad / batch_size
        p.grad.zero_()""",
        "fails": {"test_sgd_state"},
    },
    "train_linreg averages the loss (divides twice with sgd: undertrained)": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            squared_loss(linreg(X_b, w, b), y_b).mean().backward()
            sgd([w, b], lr, len(X_b))
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg runs one epoch only (undertrained)": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for X_b, y_b in data_iter(batch_size, X, y):
        squared_loss(linreg(X_b, w, b), y_b).sum().backward()
        sgd([w, b], lr, len(X_b))
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg takes one minibatch per epoch (next(data_iter(...)))": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        X_b, y_b = next(data_iter(batch_size, X, y))
        squared_loss(linreg(X_b, w, b), y_b).sum().backward()
        sgd([w, b], lr, len(X_b))
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg never updates the bias (sgd([w], ...))": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            squared_loss(linreg(X_b, w, b), y_b).sum().backward()
            sgd([w], lr, len(X_b))
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg full batch, sgd told the batch holds 1 row (steps n times too large: diverges)": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=1000, num_epochs=50):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            squared_loss(linreg(X_b, w, b), y_b).sum().backward()
            sgd([w, b], lr, 1)
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg writes its own update instead of calling sgd": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            squared_loss(linreg(X_b, w, b), y_b).sum().backward()
            with torch.no_grad():
                for p in (w, b):
                    p -= lr * p.grad / len(X_b)
                    p.grad.zero_()
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg uses torch.optim.SGD": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            optimizer.zero_grad()
            squared_loss(linreg(X_b, w, b), y_b).mean().backward()
            optimizer.step()
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_nn does not reshape y: MSELoss broadcasts to (n, n)": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn forgets optimizer.zero_grad()": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn steps before backward (optimizer.step() then loss.backward(): never learns)": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            optimizer.zero_grad()
            optimizer.step()
            loss_fn(net(X_b), y_b).backward()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn without the bias (nn.Linear(d, 1, bias=False))": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1, bias=False)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn ignores its lr: a tutorial's lr=1e-3 (undertrained)": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=1e-3)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    'squared_loss with squeeze(): shape () for one example': {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return (y_hat.squeeze() - y.squeeze()) ** 2 / 2""",
        "fails": {"test_squared_loss_shape", "test_squared_loss_values"},
    },
    'bug hunt: only the shape fixed (gradients still accumulate)': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: only the gradients reset (the loss still broadcasts)': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: losses kept as tensors': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss)
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses'},
    },
    'bug hunt: predictions flattened, so y of shape (n, 1) broadcasts': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat.reshape(-1) - y) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: gradients zeroed between backward and the update': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        w.grad.zero_()
        b.grad.zero_()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: the loss summed instead of averaged': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).sum()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: the loss recorded after the update': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(((X @ w + b - y.reshape(-1, 1)) ** 2 / 2).mean().item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses'},
    },
}

DEMO = {
    "wrong": "sgd forgets to zero the gradients",
    "scores": {"alice": 19, "bob": 0, "carol": 13},
}
