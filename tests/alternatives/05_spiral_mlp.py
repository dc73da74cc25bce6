"""Correct answers to assignment 5 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    "mlp: named layers in an OrderedDict": {
        "cell": "build_mlp",
        "code": """from collections import OrderedDict


def build_mlp(n_features, n_hidden, n_classes):
    return nn.Sequential(OrderedDict([
        ("hidden", nn.Linear(n_features, n_hidden)),
        ("relu", nn.ReLU()),
        ("output", nn.Linear(n_hidden, n_classes)),
    ]))""",
    },
    "mlp: a list of layers unpacked, ReLU in place": {
        "cell": "build_mlp",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    layers = [nn.Linear(n_features, n_hidden), nn.ReLU(inplace=True), nn.Linear(n_hidden, n_classes)]
    return nn.Sequential(*layers)""",
    },
    "mlp: an empty Sequential filled with add_module": {
        "cell": "build_mlp",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    model = nn.Sequential()
    model.add_module("fc1", nn.Linear(in_features=n_features, out_features=n_hidden, bias=True))
    model.add_module("act", nn.ReLU())
    model.add_module("fc2", nn.Linear(in_features=n_hidden, out_features=n_classes, bias=True))
    return model""",
    },
    "mlp: torch.nn spelled out, layers made first": {
        "cell": "build_mlp",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    first = torch.nn.Linear(n_features, n_hidden)
    second = torch.nn.Linear(n_hidden, n_classes)
    return torch.nn.Sequential(first, torch.nn.ReLU(), second)""",
    },
    "balanced accuracy: bincount of hits over bincount of the classes": {
        "cell": "balanced_accuracy",
        "code": """def balanced_accuracy(logits, y):
    C = logits.shape[1]
    hits = torch.bincount(y[logits.argmax(1) == y], minlength=C).double()
    counts = torch.bincount(y, minlength=C).double()
    present = counts > 0
    return (hits[present] / counts[present]).mean().item()""",
    },
    "balanced accuracy: a Python loop over the classes": {
        "cell": "balanced_accuracy",
        "code": """def balanced_accuracy(logits, y):
    predicted = logits.argmax(dim=-1).tolist()
    labels = y.tolist()
    recalls = []
    for c in sorted(set(labels)):
        mine = [p for p, t in zip(predicted, labels) if t == c]
        recalls.append(sum(p == c for p in mine) / len(mine))
    return sum(recalls) / len(recalls)""",
    },
    "balanced accuracy: a confusion matrix, its diagonal over its row sums": {
        "cell": "balanced_accuracy",
        "code": """def balanced_accuracy(logits, y):
    C = logits.shape[1]
    confusion = torch.zeros(C, C)
    confusion.index_put_((y, logits.argmax(1)), torch.ones(len(y)), accumulate=True)
    rows = confusion.sum(dim=1)
    return float((confusion.diagonal()[rows > 0] / rows[rows > 0]).mean())""",
    },
    "step: set_to_none, model.forward, float(loss)": {
        "cell": "train_step",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model.forward(X), y)
    loss.backward()
    optimizer.step()
    return float(loss)""",
    },
    "step: model.zero_grad(), loss detached before .item()": {
        "cell": "train_step",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    model.zero_grad()
    out = model(X)
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.detach().item()""",
    },
    "step: value read before the update, copied with torch.tensor (it warns)": {
        "cell": "train_step",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    value = torch.tensor(loss).item()
    loss.backward()
    optimizer.step()
    return value""",
    },
    "fit: SGD with Nesterov momentum (lr=0.5, momentum=0.95), a wider net (256), an explicit loop": {
        "cell": "fit",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(2, 256, int(y.max()) + 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.95, nesterov=True)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        losses.append(train_step(model, optimizer, loss_fn, X, y))
    return model, losses


def predict(model, X):
    with torch.no_grad():
        return model(X).argmax(dim=1)""",
    },
    "fit: Adam with lr=0.02, no weight decay, a wider net (256), classes from torch.unique": {
        "cell": "fit",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(n_features=2, n_hidden=256, n_classes=len(torch.unique(y)))
    optimizer = torch.optim.Adam(params=model.parameters(), lr=2e-2)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="mean")
    history, epoch = [], 0
    while epoch < epochs:
        history += [train_step(model=model, optimizer=optimizer, loss_fn=loss_fn, X=X, y=y)]
        epoch += 1
    return model, history


def predict(model, X):
    with torch.no_grad():
        return torch.argmax(model(X), dim=-1)""",
    },
    "fit: a narrower net (48), AdamW under a one-cycle schedule": {
        "cell": "fit",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(2, 48, int(y.max()) + 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=epochs)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        losses.append(train_step(model, optimizer, loss_fn, X, y))
        schedule.step()
    return model, losses


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).argmax(1)""",
    },
    "fit: Adam with lr=0.08 under cosine annealing": {
        "cell": "fit",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(2, 100, int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.08)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        losses.append(train_step(model, optimizer, loss_fn, X, y))
        schedule.step()
    return model, losses


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).argmax(1)""",
    },
    "fit: the tutorial idiom: torch.manual_seed(0), minibatches of 32 from DataLoader(shuffle=True)": {
        "cell": "fit",
        "code": """from torch.utils.data import DataLoader, TensorDataset


def train_spiral(X, y, epochs):
    torch.manual_seed(0)
    model = build_mlp(2, 128, int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    losses = []
    for _ in range(epochs):
        batch = [train_step(model, optimizer, loss_fn, xb, yb) for xb, yb in loader]
        losses.append(sum(batch) / len(batch))
    return model, losses


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).argmax(dim=1)""",
    },
    "fit: a deeper net of its own with dropout, evaluated in eval mode": {
        "cell": "fit",
        "code": """def train_spiral(X, y, epochs):
    model = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, int(y.max()) + 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    return model, list(map(lambda _: train_step(model, optimizer, loss_fn, X, y), range(epochs)))


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).argmax(dim=1)""",
    },
    "fit: a multi-class hinge loss (nn.MultiMarginLoss) instead of cross-entropy": {
        "cell": "fit",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(2, 100, int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-4)
    loss_fn = nn.MultiMarginLoss()
    return model, [train_step(model, optimizer, loss_fn, X, y) for _ in range(epochs)]


def predict(model, X):
    with torch.no_grad():
        return model(X).max(dim=1).indices""",
    },
    'weight decay: a loop adding p·p, times 0.5': {
        "cell": "l2_penalty",
        "code": """def l2_penalty(model, lam):
    total = torch.zeros(())
    for p in model.parameters():
        total = total + (p * p).sum()
    return 0.5 * lam * total""",
    },
    'weight decay: parameters_to_vector and a dot product': {
        "cell": "l2_penalty",
        "code": """from torch.nn.utils import parameters_to_vector


def l2_penalty(model, lam):
    v = parameters_to_vector(model.parameters())
    return lam * torch.dot(v, v) / 2""",
    },
    'weight decay: squared vector norms of named parameters, in float64 then back': {
        "cell": "l2_penalty",
        "code": """def l2_penalty(model, lam):
    squares = [torch.linalg.vector_norm(p.double()) ** 2 for _, p in model.named_parameters()]
    return (torch.stack(squares).sum() * (lam / 2)).float()""",
    },
    'weight decay: the state is read from model.modules() (it warns)': {
        "cell": "l2_penalty",
        "code": """import warnings


def l2_penalty(model, lam):
    warnings.warn("summing over the modules' own parameters")
    terms = [p.pow(2).sum() for m in model.modules() for p in m.parameters(recurse=False)]
    return sum(terms) * lam / 2""",
    },
}
