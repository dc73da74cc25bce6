"""Correct answers to assignment 2 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    "linreg: torch.matmul": {
        "cell": "linreg",
        "code": """def linreg(X, w, b):
    return torch.matmul(X, w) + b""",
    },
    "linreg: torch.addmm": {
        "cell": "linreg",
        "code": """def linreg(X, w, b):
    return torch.addmm(b, X, w)""",
    },
    "linreg: broadcast product summed over the features": {
        "cell": "linreg",
        "code": """def linreg(X, w, b):
    return (X * w.reshape(1, -1)).sum(dim=1, keepdim=True) + b""",
    },
    "linreg: float64, back to float32": {
        "cell": "linreg",
        "code": """def linreg(X, w, b):
    return (X.double() @ w.double() + b.double()).float()""",
    },
    "linreg: a loop over the rows": {
        "cell": "linreg",
        "code": """def linreg(X, w, b):
    return torch.stack([row @ w for row in X]) + b""",
    },
    "squared_loss: 0.5 * pow of flattened tensors": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return 0.5 * (y_hat.flatten() - y.flatten()).pow(2)""",
    },
    "squared_loss: the d2l idiom, then flattened": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    y_hat = y_hat.reshape(-1, 1)
    return ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).reshape(-1)""",
    },
    "squared_loss: product of the difference with itself": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    diff = y_hat.reshape(len(y_hat)) - y.reshape(len(y))
    return diff * diff / 2""",
    },
    "squared_loss: float64, back to float32": {
        "cell": "squared_loss",
        "code": """def squared_loss(y_hat, y):
    return (torch.square(y_hat.double().view(-1) - y.double().view(-1)) / 2).to(torch.float32)""",
    },
    "sgd: sub_ and zero_, no_grad inside the loop": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    for p in params:
        with torch.no_grad():
            p.sub_(lr * p.grad / batch_size)
        p.grad.zero_()""",
    },
    "sgd: add_ with alpha, gradient set to None": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p.add_(p.grad, alpha=-lr / batch_size)
            p.grad = None""",
    },
    "sgd: decorated helper, step size computed first": {
        "cell": "sgd",
        "code": """@torch.no_grad()
def _step(p, step_size):
    p -= p.grad * step_size
    p.grad.zero_()


def sgd(params, lr, batch_size):
    for p in params:
        _step(p, lr / batch_size)""",
    },
    "sgd: computed in float64, copied back in place": {
        "cell": "sgd",
        "code": """def sgd(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p.copy_(p.double() - lr * p.grad.double() / batch_size)
            p.grad.zero_()""",
    },
    "train_linreg: torch.tensor(..., requires_grad=True) (it warns), d2l names, a generator": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    gen = torch.Generator().manual_seed(42)
    w = torch.tensor(torch.normal(0.0, 0.01, size=(X.shape[1], 1), generator=gen), requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)
    net, loss = linreg, squared_loss
    for epoch in range(num_epochs):
        for features, labels in data_iter(batch_size, X, y, generator=gen):
            l = loss(net(features, w, b), labels)
            l.sum().backward()
            sgd([w, b], lr, features.shape[0])
    return w.detach(), b.detach()""",
    },
    "train_linreg: the global-seed idiom (torch.manual_seed, then data_iter without a generator)": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    torch.manual_seed(0)
    w = torch.normal(0, 0.01, size=(X.shape[1], 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            l = squared_loss(linreg(X_b, w, b), y_b)
            l.sum().backward()
            sgd([w, b], lr, len(X_b))
    return w.detach(), b.detach()""",
    },
    "train_linreg: no seed, zero start, lr=0.1, batch_size=32, 5 epochs, losses kept as floats": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.1, batch_size=32, num_epochs=5):
    d = X.shape[1]
    w = torch.zeros(d, 1).requires_grad_(True)
    b = torch.zeros(1).requires_grad_(True)
    losses = []
    for _ in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y.reshape(-1, 1)):
            total = squared_loss(linreg(X_b, w, b), y_b).sum()
            total.backward()
            sgd([w, b], lr, len(y_b))
            losses.append(float(total))
    return w.detach().clone(), b.detach().clone()""",
    },
    "train_linreg: full batch gradient descent, lr=0.5, 40 epochs": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.5, batch_size=None, num_epochs=40):
    batch_size = batch_size or len(X)
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            squared_loss(linreg(X_b, w, b), y_b).sum().backward()
            sgd([w, b], lr, len(X_b))
    return w.detach(), b.detach()""",
    },
    "train_linreg: batches of one row, own torch.randperm shuffle, lr=0.01, 2 epochs": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=1, num_epochs=2):
    y = y.reshape(-1, 1)
    w = 0.01 * torch.randn(X.shape[1], 1)
    w.requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            squared_loss(linreg(X[idx], w, b), y[idx]).sum().backward()
            sgd([w, b], lr, len(idx))
    return w.detach(), b.detach()""",
    },
    "train_linreg: trained in float64, returned in float32": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    gen = torch.Generator().manual_seed(0)
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1), generator=gen).double().requires_grad_()
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X.double(), y.double(), generator=gen):
            squared_loss(linreg(X_b, w, b), y_b).sum().backward()
            sgd([w, b], lr, len(X_b))
    return w.detach().float(), b.detach().float()""",
    },
    "train_linreg: a while loop over the epochs, batches from an explicit iterator": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.03, batch_size=10, num_epochs=3):
    gen = torch.Generator()
    gen.manual_seed(2024)
    w = torch.normal(mean=0.0, std=0.01, size=(X.size(1), 1), generator=gen)
    w.requires_grad = True
    b = torch.zeros(1)
    b.requires_grad = True
    epoch = 0
    while epoch < num_epochs:
        batches = iter(data_iter(batch_size, X, y, generator=gen))
        for X_b, y_b in batches:
            l = squared_loss(linreg(X_b, w, b), y_b).sum()
            l.backward()
            sgd(params=[w, b], lr=lr, batch_size=X_b.shape[0])
        epoch += 1
    return w.data, b.data""",
    },
    "train_nn: the global-seed idiom (torch.manual_seed, then DataLoader(shuffle=True))": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    torch.manual_seed(0)
    net = nn.Linear(X.shape[1], 1)
    net.weight.data.normal_(0, 0.01)
    net.bias.data.fill_(0)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size, shuffle=True)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            l = loss(net(X_b), y_b)
            trainer.zero_grad()
            l.backward()
            trainer.step()
    return net""",
    },
    "train_nn: a generator, nn.init, net.forward, y reshaped per batch": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    gen = torch.Generator().manual_seed(7)
    net = nn.Linear(X.shape[1], 1)
    nn.init.normal_(net.weight, 0.0, 0.01, generator=gen)
    nn.init.zeros_(net.bias)
    loader = DataLoader(TensorDataset(X, y), batch_size, shuffle=True, generator=gen)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net.forward(X_b), y_b.reshape(-1, 1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net""",
    },
    "train_nn: PyTorch's own initialisation, no seed, lr=0.05, batch_size=32, 10 epochs, drop_last": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.05, batch_size=32, num_epochs=10):
    dataset = TensorDataset(X, y.view(-1, 1))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True)
    net = nn.Linear(X.shape[1], 1)
    trainer = optim.SGD(net.parameters(), lr)
    history = []
    for _ in range(num_epochs):
        for features, labels in loader:
            net.zero_grad()
            l = nn.functional.mse_loss(net(features), labels)
            l.backward()
            trainer.step()
            history.append(l.item())
    return net""",
    },
    "train_nn: full batch, no DataLoader, lr=0.2, 100 epochs": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.2, batch_size=None, num_epochs=100):
    net = nn.Linear(X.shape[1], 1)
    target = y.reshape(-1, 1)
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        optimizer.zero_grad()
        nn.MSELoss()(net(X), target).backward()
        optimizer.step()
    return net""",
    },
    "train_nn: the step written by hand instead of torch.optim": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            net.zero_grad()
            loss_fn(net(X_b), y_b).backward()
            with torch.no_grad():
                for p in net.parameters():
                    p -= lr * p.grad
    return net""",
    },
    "train_nn: SGD with momentum, lr=0.01": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.01, batch_size=16, num_epochs=4):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            optimizer.zero_grad()
            criterion(net(X_b), y_b).backward()
            optimizer.step()
    return net""",
    },
    "train_nn: Adam, lr=0.05, 20 epochs of batches of 100": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.05, batch_size=100, num_epochs=20):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.Adam(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            optimizer.zero_grad()
            loss_fn(net(X_b), y_b).backward()
            optimizer.step()
    return net""",
    },
    "train_nn: trained in float64, returned in float32": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    gen = torch.Generator().manual_seed(0)
    net = nn.Linear(X.shape[1], 1).double()
    loader = DataLoader(TensorDataset(X.double(), y.double().reshape(-1, 1)), batch_size=batch_size,
                        shuffle=True, generator=gen)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            optimizer.zero_grad(set_to_none=False)
            loss_fn(net(X_b), y_b).backward()
            optimizer.step()
    return net.float()""",
    },
    "train_nn: an explicit iterator per epoch, step counter": {
        "cell": "train_nn",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    n_features = X.size(-1)
    net = nn.Linear(in_features=n_features, out_features=1)
    targets = y if y.dim() == 2 else y.unsqueeze(1)
    loader = DataLoader(TensorDataset(X, targets), batch_size=batch_size, shuffle=True)
    criterion = nn.MSELoss(reduction="mean")
    optimizer = optim.SGD(params=net.parameters(), lr=lr)
    steps = 0
    for epoch in range(num_epochs):
        batches = iter(loader)
        while True:
            try:
                X_b, y_b = next(batches)
            except StopIteration:
                break
            optimizer.zero_grad()
            criterion(net(X_b), y_b).backward()
            optimizer.step()
            steps += 1
    return net""",
    },
    'bug hunt: y viewed as y_hat, grad set to None at the top of the loop': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        w.grad = b.grad = None
        y_hat = X @ w + b
        loss = ((y_hat - y.view_as(y_hat)) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
    },
    'bug hunt: both flattened, float(loss), torch.autograd.grad': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(num_epochs):
        residual = (X @ w + b).flatten() - y.flatten()
        loss = (0.5 * residual ** 2).mean()
        gw, gb = torch.autograd.grad(loss, [w, b])
        with torch.no_grad():
            w.sub_(lr * gw)
            b.sub_(lr * gb)
        losses.append(float(loss))
    return w.detach(), b.detach(), losses""",
    },
    'bug hunt: float64 inside, mse_loss halved, back to float32': {
        "cell": "fixed_fit",
        "code": """import torch.nn.functional as F


def fixed_fit(X, y, lr=0.1, num_epochs=100):
    X64, y64 = X.double(), y.double().reshape(-1, 1)
    w = torch.zeros(X.shape[1], 1, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        loss = F.mse_loss(X64 @ w + b, y64) / 2
        loss.backward()
        with torch.no_grad():
            for p in (w, b):
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
    return w.detach().float(), b.detach().float(), losses""",
    },
    'bug hunt: nn.Linear with zero start and optim.SGD': {
        "cell": "fixed_fit",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    net = nn.Linear(X.shape[1], 1)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    opt = optim.SGD(net.parameters(), lr=lr)
    target = y.reshape(-1, 1)
    losses = []
    for epoch in range(num_epochs):
        opt.zero_grad()
        loss = ((net(X) - target) ** 2 / 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return net.weight.detach().T.clone(), net.bias.detach().clone(), losses""",
    },
}
