"""Correct answers to assignment 2 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    "linreg_grads: torch.einsum, the bias gradient a column sum": {
        "cell": "linreg_grads",
        "code": """def linreg_grads(X, y, w, b):
    r = (X @ w.detach() + b.detach()).reshape(-1) - y.reshape(-1)
    return torch.einsum("nd,n->d", X, r).reshape(-1, 1), r.sum().reshape(1)""",
    },
    "linreg_grads: a loop over the examples": {
        "cell": "linreg_grads",
        "code": """def linreg_grads(X, y, w, b):
    grad_w, grad_b = torch.zeros(w.shape), torch.zeros(b.shape)
    with torch.no_grad():
        for x_i, y_i in zip(X, y.reshape(-1)):
            r = (x_i @ w + b) - y_i
            grad_w += x_i.reshape(-1, 1) * r
            grad_b += r
    return grad_w, grad_b""",
    },
    "linreg_grads: float64 inside, mT and keepdim": {
        "cell": "linreg_grads",
        "code": """def linreg_grads(X, y, w, b):
    Xd = X.double()
    r = Xd @ w.detach().double() + b.detach().double() - y.double().view(-1, 1)
    return (Xd.mT @ r).float(), r.sum(dim=0).float()""",
    },
    "huber_loss: clamp form, q (r - q / 2) with q = min(r, δ)": {
        "cell": "huber_loss",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = torch.abs(y_hat.flatten() - y.flatten())
    q = r.clamp(max=delta)
    return q * (r - q / 2)""",
    },
    "huber_loss: a mask and arithmetic": {
        "cell": "huber_loss",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = (y_hat.view(-1) - y.view(-1)).abs()
    small = (r <= delta).to(r.dtype)
    return small * 0.5 * r * r + (1 - small) * delta * (r - 0.5 * delta)""",
    },
    "huber_loss: float64 inside, back to the input's dtype": {
        "cell": "huber_loss",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    d = y_hat.double().reshape(-1) - y.double().reshape(-1)
    quadratic = 0.5 * d ** 2
    linear = delta * (d.abs() - 0.5 * delta)
    return torch.where(d.abs() > delta, linear, quadratic).to(y_hat.dtype)""",
    },
    "sgd_momentum: add_ with alpha, sub_, gradient set to None": {
        "cell": "sgd_momentum",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    for p, v in zip(params, velocities):
        with torch.no_grad():
            v.mul_(momentum).add_(p.grad, alpha=1 / batch_size)
            p.sub_(lr * v)
        p.grad = None""",
    },
    "sgd_momentum: decorated, slice assignment, indices": {
        "cell": "sgd_momentum",
        "code": """@torch.no_grad()
def sgd_momentum(params, velocities, lr, batch_size, momentum):
    for i in range(len(params)):
        velocities[i][...] = momentum * velocities[i] + params[i].grad / batch_size
        params[i].add_(velocities[i], alpha=-lr)
        params[i].grad.zero_()""",
    },
    "sgd_momentum: computed in float64, copied back in place": {
        "cell": "sgd_momentum",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            new_v = momentum * v.double() + p.grad.double() / batch_size
            v.copy_(new_v)
            p.copy_(p.double() - lr * new_v)
            p.grad.zero_()""",
    },
    "train_linreg: the global-seed idiom (torch.manual_seed, then data_iter without a generator)": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    torch.manual_seed(42)
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros_like(w), torch.zeros_like(b)]
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            loss = huber_loss(X_b @ w + b, y_b)
            loss.sum().backward()
            sgd_momentum([w, b], velocities, lr, X_b.shape[0], momentum)
    return w.detach(), b.detach()""",
    },
    "train_linreg: no seed, zero start, lr=0.02, momentum 0.8, batch_size=32, 5 epochs": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.02, batch_size=32, num_epochs=5, momentum=0.8):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros(X.shape[1], 1), torch.zeros(1)]
    losses = []
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            loss = huber_loss(X_b @ w + b, y_b).sum()
            loss.backward()
            sgd_momentum([w, b], velocities, lr, len(X_b), momentum)
            losses.append(loss.item())
    return w.detach(), b.detach()""",
    },
    "train_linreg: full-batch descent with momentum, lr=0.1, 100 epochs": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.1, batch_size=None, num_epochs=100, momentum=0.9):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros_like(w), torch.zeros_like(b)]
    for epoch in range(num_epochs):
        huber_loss(X @ w + b, y).sum().backward()
        sgd_momentum([w, b], velocities, lr, len(X), momentum)
    return w.detach(), b.detach()""",
    },
    "train_linreg: trained in float64, returned in float32": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    gen = torch.Generator().manual_seed(7)
    X, y = X.double(), y.double()
    w = (0.01 * torch.randn(X.shape[1], 1, generator=gen, dtype=torch.float64)).requires_grad_()
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    velocities = [torch.zeros_like(w), torch.zeros_like(b)]
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y, generator=gen):
            huber_loss(X_b @ w + b, y_b).sum().backward()
            sgd_momentum([w, b], velocities, lr, len(X_b), momentum)
    return w.detach().float(), b.detach().float()""",
    },
    "train_linreg: a while loop over the epochs, batches from an explicit iterator": {
        "cell": "train_linreg",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    w = torch.randn(X.shape[1], 1).mul_(0.01).requires_grad_()
    b = torch.zeros(1).requires_grad_()
    velocities = [torch.zeros(w.shape), torch.zeros(b.shape)]
    epoch = 0
    while epoch < num_epochs:
        batches = iter(data_iter(batch_size, X, y))
        for X_b, y_b in batches:
            huber_loss(torch.addmm(b, X_b, w), y_b).sum().backward()
            sgd_momentum([w, b], velocities, lr=lr, batch_size=len(X_b), momentum=momentum)
        epoch += 1
    return w.detach(), b.detach()""",
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
