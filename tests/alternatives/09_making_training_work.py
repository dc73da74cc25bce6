"""Correct answers to assignment 9 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    # Exercise 1: momentum
    "momentum: velocities in a dict keyed by the parameter, zeros at the start, torch.no_grad as a decorator": {
        "cell": "momentum_sgd",
        "code": '''class MomentumSGD:
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, nesterov=False):
        self.params = [p for p in params]
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.state = {}

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self):
        for p in self.params:
            if p.grad is None:
                continue
            d_p = p.grad.add(p, alpha=self.weight_decay)
            buf = self.state.get(p)
            if buf is None:
                buf = torch.zeros_like(p)
                self.state[p] = buf
            buf.mul_(self.momentum).add_(d_p)     # from zeros: the first step gives buf = d_p, as PyTorch's
            if self.nesterov:
                d_p = d_p.add(buf, alpha=self.momentum)
            else:
                d_p = buf
            p.add_(d_p, alpha=-self.lr)''',
    },
    "momentum: lr folded into the velocity (v = mu v + lr g, p -= v), float64 buffers": {
        "cell": "momentum_sgd",
        "code": '''class MomentumSGD:
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, nesterov=False):
        self.params = list(params)
        self.lr, self.mu, self.wd, self.nesterov = lr, momentum, weight_decay, nesterov
        self.v = [torch.zeros(p.shape, dtype=torch.float64) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p, v in zip(self.params, self.v):
            if p.grad is None:
                continue
            g = p.grad.double() + self.wd * p.detach().double()
            v.mul_(self.mu).add_(self.lr * g)     # the velocity of the step itself: lr is constant here
            update = self.lr * g + self.mu * v if self.nesterov else v
            p.data.sub_(update.float())''',
    },
    "momentum: a list comprehension per step, torch.where-free, new tensors each time": {
        "cell": "momentum_sgd",
        "code": '''class MomentumSGD:
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, nesterov=False):
        self.params = list(params)
        self.hyper = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
        self.steps = 0
        self.buffers = {}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        h = self.hyper
        with torch.no_grad():
            for index, p in enumerate(self.params):
                if p.grad is None:
                    continue
                grad = p.grad + h["weight_decay"] * p if h["weight_decay"] else p.grad
                old = self.buffers.get(index)
                new = grad.clone() if old is None else h["momentum"] * old + grad
                self.buffers[index] = new
                direction = grad + h["momentum"] * new if h["nesterov"] else new
                p.copy_(p - h["lr"] * direction)
        self.steps += 1''',
    },
    # Exercise 2: initialisation
    "init: nn.init.kaiming_normal_ with a = slope (PyTorch's own leaky-ReLU gain)": {
        "cell": "init_leaky",
        "code": '''def init_leaky_(model, slope):
    for module in model.modules():
        if type(module) is nn.Linear:
            nn.init.kaiming_normal_(module.weight, a=slope, mode="fan_in", nonlinearity="leaky_relu")
            nn.init.zeros_(module.bias)
    return model''',
    },
    "init: torch.randn scaled, copied in; the gain written as a variance": {
        "cell": "init_leaky",
        "code": '''def init_leaky_(model, slope):
    mean_square_kept = (1 + slope * slope) / 2          # E[leaky(z)^2] / E[z^2] for a symmetric z
    for layer in [m for m in model if isinstance(m, nn.Linear)]:
        variance = 1.0 / (mean_square_kept * layer.weight.shape[1])
        with torch.no_grad():
            layer.weight.copy_(torch.randn(layer.weight.shape) * variance ** 0.5)
            layer.bias.copy_(torch.zeros(layer.bias.shape))
    return model''',
    },
    "init: a uniform distribution of the same variance (kaiming_uniform_'s bound by hand)": {
        "cell": "init_leaky",
        "code": '''def init_leaky_(model, slope):
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                std = (2 / ((1 + slope ** 2) * layer.in_features)) ** 0.5
                bound = 3 ** 0.5 * std                  # U(-b, b) has variance b^2 / 3
                layer.weight.uniform_(-bound, bound)
                layer.bias.fill_(0.0)
    return model''',
    },
    "init: nn.init.normal_ with the gain from nn.init.calculate_gain, float64 arithmetic": {
        "cell": "init_leaky",
        "code": '''def init_leaky_(model, slope):
    gain = nn.init.calculate_gain("leaky_relu", slope)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            fan_in = layer.weight.size(1)
            torch.nn.init.normal_(layer.weight, mean=0.0, std=float(gain / math.sqrt(fan_in)))
            torch.nn.init.constant_(layer.bias, 0.0)
    return model''',
    },
    # Exercise 3: the checklist
    "diagnose: torch.tensor checks, a table of rules": {
        "cell": "diagnose",
        "code": '''def diagnose(losses, n_classes, grad_norms):
    losses_t = torch.tensor(losses, dtype=torch.float64)
    norms_t = torch.tensor(grad_norms, dtype=torch.float64)
    ln_c = torch.log(torch.tensor(float(n_classes), dtype=torch.float64))
    rules = [
        ("nan", lambda: not bool(torch.isfinite(losses_t).all())),
        ("init_loss", lambda: bool((losses_t[0] - ln_c).abs() > 0.5 * ln_c)),
        ("vanishing_gradients", lambda: bool(norms_t.max() == 0) or bool(norms_t.min() < 1e-3 * norms_t.max())),
        ("not_learning", lambda: not bool(losses_t[-1] < 0.9 * losses_t[0])),
    ]
    for name, fails in rules:
        if fails():
            return name
    return "ok"''',
    },
    "diagnose: math.isnan / isinf, the init check written as a range, sorted norms": {
        "cell": "diagnose",
        "code": '''def diagnose(losses, n_classes, grad_norms):
    for value in losses:
        if math.isnan(value) or math.isinf(value):
            return "nan"
    target = math.log(n_classes)
    if not (0.5 * target <= losses[0] <= 1.5 * target):
        return "init_loss"
    norms = sorted(grad_norms)
    if norms[-1] <= 0 or norms[0] < norms[-1] / 1000:
        return "vanishing_gradients"
    if losses[-1] >= 0.9 * losses[0]:
        return "not_learning"
    return "ok"''',
    },
    "diagnose: numpy, and a loop over named checks in a dict": {
        "cell": "diagnose",
        "code": '''import numpy as np


def diagnose(losses, n_classes, grad_norms):
    losses, norms = np.asarray(losses, dtype=float), np.asarray(grad_norms, dtype=float)
    checks = {
        "nan": lambda: not np.all(np.isfinite(losses)),
        "init_loss": lambda: abs(losses[0] - np.log(n_classes)) > np.log(n_classes) / 2,
        "vanishing_gradients": lambda: norms.max() == 0 or norms.min() / norms.max() < 1e-3,
        "not_learning": lambda: not losses[-1] < 0.9 * losses[0],
    }
    return next((name for name, failed in checks.items() if failed()), "ok")''',
    },
    # Exercise 4: the repair
    "repair: the minimal fix at lr=0.1, model.train() and eval() switched explicitly": {
        "cell": "repair",
        "code": '''def train_repaired(X, y, epochs):
    n_classes = int(y.max()) + 1
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, n_classes))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for epoch in range(epochs):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    model.eval()
    return model, losses


@torch.no_grad()
def predict(model, X):
    model.eval()
    return torch.argmax(model(X), dim=1)''',
    },
    "repair: Kaiming init and Adam, dropout removed, inference_mode": {
        "cell": "repair",
        "code": '''def train_repaired(X, y, epochs):
    n_classes = int(y.max()) + 1
    model = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, n_classes))
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(epochs):
        loss = nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def predict(model, X):
    was = model.training
    model.eval()
    with torch.inference_mode():
        classes = model(X).argmax(1)
    model.train(was)
    return classes.clone()''',
    },
    "repair: the student's own MomentumSGD, lr 0.3 and a cosine schedule by hand": {
        "cell": "repair",
        "code": '''def train_repaired(X, y, epochs):
    n_classes = int(y.max()) + 1
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, n_classes))
    optimizer = MomentumSGD(model.parameters(), lr=0.3, momentum=0.9)
    losses = []
    for epoch in range(epochs):
        optimizer.lr = 0.3 * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model.forward(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def predict(model, X):
    model.train(False)
    with torch.no_grad():
        logits = model(X)
    return logits.max(dim=1).indices''',
    },
}
