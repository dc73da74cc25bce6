"""Correct answers to assignment 7 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    "splits: topk and a mask; torch.split of the permutation": {
        "cell": "splits",
        "code": """def extrapolation_split(x, n_test=20):
    test_idx = torch.topk(x, n_test).indices
    keep = torch.ones(len(x), dtype=torch.bool)
    keep[test_idx] = False
    return torch.arange(len(x))[keep], test_idx


def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator)
    train_idx, test_idx = torch.split(perm, [n - n_test, n_test])
    return train_idx, test_idx""",
    },
    "splits: descending argsort; copies made with torch.tensor (it warns)": {
        "cell": "splits",
        "code": """def extrapolation_split(x, n_test=20):
    order = x.argsort(descending=True)
    return order[n_test:], order[:n_test]


def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator)
    cut = n - n_test
    return torch.tensor(perm[:cut]), torch.tensor(perm[cut:])""",
    },
    "splits: Python sorted over positions; boolean mask and nonzero": {
        "cell": "splits",
        "code": """def extrapolation_split(x, n_test=20):
    values = x.tolist()
    order = sorted(range(len(values)), key=lambda i: values[i])
    cut = len(values) - n_test
    return torch.tensor(order[:cut], dtype=torch.long), torch.tensor(order[cut:], dtype=torch.long)


def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator)
    is_test = torch.zeros(n, dtype=torch.bool)
    is_test[perm[n - n_test:]] = True
    return torch.nonzero(~is_test).flatten(), torch.nonzero(is_test).flatten()""",
    },
    "splits: stable sort, list of the permutation": {
        "cell": "splits",
        "code": """def extrapolation_split(x, n_test=20):
    _, order = torch.sort(x, stable=True)
    n_train = x.numel() - n_test
    return order[:n_train].clone(), order[n_train:].clone()


def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator).tolist()
    return torch.tensor(perm[: n - n_test]), torch.tensor(perm[n - n_test:])""",
    },
    "loop: zero_grad first, model.forward, float(loss), shape[0]": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train(True)
    losses = []
    for epoch in range(epochs):
        weighted, seen = 0.0, 0
        for batch in loader:
            xb, yb = batch
            optimizer.zero_grad()
            out = model.forward(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            weighted += float(loss) * xb.shape[0]
            seen += xb.shape[0]
        losses.append(weighted / seen)
    return losses""",
    },
    "loop: model.zero_grad(set_to_none=True), losses summed as tensors": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    for _ in range(epochs):
        sums, sizes = [], []
        for xb, yb in loader:
            model.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            sums.append(loss.detach() * len(yb))
            sizes.append(len(yb))
        history.append((torch.stack(sums).sum() / sum(sizes)).item())
    return history""",
    },
    "loop: while loops over iter(loader), math.fsum": {
        "cell": "train_loop",
        "code": """import math


def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    epoch = 0
    while epoch < epochs:
        parts, n = [], 0
        batches = iter(loader)
        while True:
            try:
                xb, yb = next(batches)
            except StopIteration:
                break
            prediction = model(xb)
            loss = loss_fn(prediction, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            parts.append(loss.item() * len(xb))
            n += len(xb)
        history.append(math.fsum(parts) / n)
        epoch += 1
    return history""",
    },
    "loop: running mean updated per batch": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    for _ in range(epochs):
        mean, seen = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(xb)
            mean += (loss.item() - mean) * len(xb) / seen
        history.append(mean)
    return history""",
    },
    "standardise: channels first, flattened, torch.std_mean": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    C = X_train.shape[1]
    std, mean = torch.std_mean(X_train.transpose(0, 1).reshape(C, -1), dim=1)
    shape = (1, C) + (1,) * (X_train.dim() - 2)
    return (X_train - mean.view(shape)) / std.view(shape), (X_test - mean.view(shape)) / std.view(shape)""",
    },
    "standardise: float64 by hand, one channel at a time": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    Z_train, Z_test = torch.empty_like(X_train), torch.empty_like(X_test)
    for c in range(X_train.shape[1]):
        values = X_train[:, c].double()
        m = values.mean()
        s = ((values - m) ** 2).sum().div(values.numel() - 1).sqrt()
        Z_train[:, c] = ((values - m) / s).float()
        Z_test[:, c] = ((X_test[:, c].double() - m) / s).float()
    return Z_train, Z_test""",
    },
    "standardise: channels moved last, in place on clones": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    last = X_train.movedim(1, -1)
    flat = last.reshape(-1, last.shape[-1])
    mean, std = flat.mean(dim=0), flat.var(dim=0).sqrt()
    Z_train, Z_test = X_train.movedim(1, -1).clone(), X_test.movedim(1, -1).clone()
    Z_train -= mean
    Z_train /= std
    Z_test.sub_(mean).div_(std)
    return Z_train.movedim(-1, 1), Z_test.movedim(-1, 1)""",
    },
    "iris: helpers.fit without a progress bar": {
        "cell": "train_iris",
        "code": """import helpers


def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    helpers.fit(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), loader,
                epochs=100, progress=False)
    return model""",
    },
    "iris: an nn.Module subclass, its own loop calling model.forward": {
        "cell": "train_iris",
        "code": """class IrisMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def train_iris(X_train, y_train):
    model = IrisMLP()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(100):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model.forward(xb), yb)
            loss.backward()
            optimizer.step()
    return model.eval()""",
    },
    "iris: loader made first, named layers, F.cross_entropy": {
        "cell": "train_iris",
        "code": """from collections import OrderedDict

import torch.nn.functional as F


def train_iris(X_train, y_train):
    g = torch.Generator()
    g.manual_seed(2024)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, generator=g)
    model = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 16)), ("act", nn.ReLU()), ("fc2", nn.Linear(16, 3))]))
    train_loop(model, F.cross_entropy, torch.optim.Adam(params=model.parameters(), lr=1e-2), loader, epochs=100)
    return model""",
    },
    "iris: tensors copied with torch.tensor (it warns), one epoch at a time": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(inplace=True), nn.Linear(16, 3))
    data = TensorDataset(torch.tensor(X_train), torch.tensor(y_train))
    loader = DataLoader(data, batch_size=32, shuffle=True)
    loss_fn, optimizer = nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(100):
        train_loop(model, loss_fn, optimizer, loader, 1)
    model.eval()
    return model""",
    },
    "iris: SGD with momentum (lr=0.05, momentum=0.9), a wider net (32), minibatches of 16": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=16, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train_loop(model, nn.CrossEntropyLoss(), optimizer, loader, 100)
    return model.eval()""",
    },
    "iris: full batch (a list of one batch), Adam with lr=0.05, 200 epochs": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    train_loop(model, nn.CrossEntropyLoss(), optimizer, [(X_train, y_train)], 200)
    return model.eval()""",
    },
    "iris: a deeper, wider net (64, 64), Adam with lr=0.005, 60 epochs": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    train_loop(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.005), loader, 60)
    return model.eval()""",
    },
    "iris: AdamW (lr=0.03) under cosine annealing, one epoch at a time": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3))
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.03)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=80)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=16, shuffle=True)
    for _ in range(80):
        train_loop(model, nn.CrossEntropyLoss(), optimizer, loader, 1)
        schedule.step()
    return model.eval()""",
    },
    "iris: the tutorial idiom: torch.manual_seed(0), then DataLoader(shuffle=True) without a generator": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    train_loop(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), loader, 100)
    return model.eval()""",
    },
    "iris: dropout between the layers, returned in evaluation mode": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=16, shuffle=True)
    train_loop(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), loader, 100)
    model.eval()
    return model""",
    },
    "iris: another loss that fits: mean squared error against one-hot targets": {
        "cell": "train_iris",
        "code": """import torch.nn.functional as F


def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)

    def loss_fn(scores, labels):
        return F.mse_loss(scores, F.one_hot(labels, num_classes=3).float())

    train_loop(model, loss_fn, torch.optim.Adam(model.parameters(), lr=0.01), loader, 100)
    return model.eval()""",
    },
    'early stopping: your train_loop for each epoch, cloned tensors, a counter': {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    history, best, best_epoch, saved, waited = [], float("inf"), -1, None, 0
    for epoch in range(max_epochs):
        train_loop(model, loss_fn, optimizer, loader, 1)
        model.eval()
        with torch.no_grad():
            val = float(loss_fn(model(X_val), y_val))
        history.append(val)
        if val < best:
            best, best_epoch, waited = val, epoch, 0
            saved = {name: t.detach().clone() for name, t in model.state_dict().items()}
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(saved)
    return history, best_epoch""",
    },
    'early stopping: a deep copy of the whole model, torch.inference_mode': {
        "cell": "train_early_stopping",
        "code": """import copy


def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    val_losses, best_model = [], None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model.forward(xb), yb).backward()
            optimizer.step()
        model.eval()
        with torch.inference_mode():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        best_epoch = min(range(len(val_losses)), key=val_losses.__getitem__)
        if best_epoch == epoch:
            best_model = copy.deepcopy(model)
        if epoch - best_epoch == patience:
            break
    model.load_state_dict(best_model.state_dict())
    model.eval()
    return val_losses, best_epoch""",
    },
    'early stopping: parameters copied back in place with copy_ (it warns)': {
        "cell": "train_early_stopping",
        "code": """import warnings


def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    val_losses = []
    best_epoch = 0
    kept = [p.detach().clone() for p in model.parameters()]
    for epoch in range(max_epochs):
        model.train(True)
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.train(False)
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        if epoch == 0 or val_losses[-1] < min(val_losses[:-1]):
            best_epoch = epoch
            kept = [p.detach().clone() for p in model.parameters()]
        if len(val_losses) - 1 - best_epoch >= patience:
            break
    with torch.no_grad():
        for p, q in zip(model.parameters(), kept):
            p.copy_(q)
    warnings.warn(f"restored epoch {best_epoch}")
    return val_losses, best_epoch""",
    },
}
