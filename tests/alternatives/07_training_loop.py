"""Correct answers to assignment 7 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    "splits: descending argsort; labels numbered with return_inverse, a boolean table of groups": {
        "cell": "splits",
        "code": """def forecast_split(t, n_test, gap=0):
    newest_first = t.argsort(descending=True)
    return newest_first[n_test + gap:], newest_first[:n_test]


def group_split(groups, n_test_groups, generator=None):
    labels, which = torch.unique(groups, return_inverse=True)   # which[i]: the number of row i's group
    chosen = torch.zeros(len(labels), dtype=torch.bool)
    chosen[torch.randperm(len(labels), generator=generator)[:n_test_groups]] = True
    is_test = chosen[which]
    return torch.arange(len(groups))[~is_test], torch.arange(len(groups))[is_test]""",
    },
    "splits: Python's sorted over positions; a set of labels drawn with torch.multinomial": {
        "cell": "splits",
        "code": """def forecast_split(t, n_test, gap=0):
    times = t.tolist()
    order = sorted(range(len(times)), key=lambda i: times[i])
    n_train = len(times) - n_test - gap
    return torch.tensor(order[:n_train], dtype=torch.long), torch.tensor(order[len(times) - n_test:], dtype=torch.long)


def group_split(groups, n_test_groups, generator=None):
    labels = sorted(set(groups.tolist()))
    picked = torch.multinomial(torch.ones(len(labels)), n_test_groups, replacement=False, generator=generator)
    held_out = {labels[i] for i in picked.tolist()}
    rows = groups.tolist()
    train = [i for i, g in enumerate(rows) if g not in held_out]
    test = [i for i, g in enumerate(rows) if g in held_out]
    return torch.tensor(train, dtype=torch.int64), torch.tensor(test, dtype=torch.int64)""",
    },
    "splits: topk of -t and a mask; the last groups of a permutation, rows in a shuffled order": {
        "cell": "splits",
        "code": """def forecast_split(t, n_test, gap=0):
    n = len(t)
    order = torch.topk(-t.double(), n).indices   # earliest first
    train_idx, _, test_idx = torch.split(order, [n - n_test - gap, gap, n_test])
    return train_idx.clone(), test_idx.clone()


def group_split(groups, n_test_groups, generator=None):
    labels = torch.unique(groups, sorted=True)
    held_out = labels[torch.randperm(len(labels), generator=generator)[len(labels) - n_test_groups:]]
    is_test = (groups.unsqueeze(1) == held_out.unsqueeze(0)).any(dim=1)
    rows = torch.randperm(len(groups), generator=generator)   # any order will do
    return rows[~is_test[rows]], rows[is_test[rows]]""",
    },
    "splits: numpy (argsort, np.isin), int64 tensors made from arrays": {
        "cell": "splits",
        "code": """import numpy as np


def forecast_split(t, n_test, gap=0):
    order = np.argsort(t.numpy(), kind="stable")
    cut = len(order) - n_test
    return torch.from_numpy(order[: cut - gap]).long(), torch.from_numpy(order[cut:]).long()


def group_split(groups, n_test_groups, generator=None):
    labels = np.unique(groups.numpy())
    perm = torch.randperm(len(labels), generator=generator).numpy()
    is_test = np.isin(groups.numpy(), labels[perm[:n_test_groups]])
    return torch.from_numpy(np.flatnonzero(~is_test)).long(), torch.from_numpy(np.flatnonzero(is_test)).long()""",
    },
    "loop: each group's batches kept, then weighted by their share of its samples": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train()
    history = []

    def step_on(group):
        n = sum(len(xb) for xb, _ in group)
        optimizer.zero_grad()
        losses = []
        for xb, yb in group:
            loss = loss_fn(model(xb), yb)
            (loss * (len(xb) / n)).backward()
            losses.append(loss.item() * len(xb))
        optimizer.step()
        return losses

    for _ in range(epochs):
        parts, seen, group = [], 0, []
        for xb, yb in loader:
            group.append((xb, yb))
            seen += len(xb)
            if len(group) == accumulate:
                parts += step_on(group)
                group = []
        if group:
            parts += step_on(group)
        history.append(sum(parts) / seen)
    return history""",
    },
    "loop: one backward per group, of the group's summed loss over its samples": {
        "cell": "train_loop",
        "code": """import itertools


def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train(True)
    losses = []
    for epoch in range(epochs):
        batches = iter(loader)
        weighted, seen = 0.0, 0
        while True:
            group = list(itertools.islice(batches, accumulate))
            if not group:
                break
            optimizer.zero_grad(set_to_none=True)
            summed = sum(loss_fn(model.forward(xb), yb) * xb.shape[0] for xb, yb in group)
            size = sum(xb.shape[0] for xb, _ in group)
            (summed / size).backward()
            optimizer.step()
            weighted += float(summed)
            seen += size
        losses.append(weighted / seen)
    return losses""",
    },
    "loop: enumerate and a modulo, loss divided by accumulate, gradients rescaled for a short group": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train()
    history = []
    for _ in range(epochs):
        model.zero_grad()
        total, count, sizes = 0.0, 0, []
        for i, (xb, yb) in enumerate(loader):
            loss = loss_fn(model(xb), yb)
            (loss * len(xb) / accumulate).backward()
            sizes.append(len(xb))
            total += loss.item() * len(xb)
            count += len(xb)
            if (i + 1) % accumulate == 0:
                for p in model.parameters():
                    p.grad.mul_(1 / sum(sizes) * accumulate)
                optimizer.step()
                model.zero_grad()
                sizes = []
        if sizes:
            for p in model.parameters():
                p.grad.mul_(accumulate / sum(sizes))
            optimizer.step()
            model.zero_grad()
        history.append(total / count)
    return history""",
    },
    "loop: a running mean of the epoch's loss, torch._foreach_div_ on the optimiser's parameters": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    history = []
    for _ in range(epochs):
        optimizer.zero_grad()
        mean, seen, pending, in_group = 0.0, 0, 0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            loss.mul(len(xb)).backward()
            pending += len(xb)
            in_group += 1
            seen += len(xb)
            mean += (loss.item() - mean) * len(xb) / seen
            if in_group == accumulate:
                torch._foreach_div_([p.grad for p in params if p.grad is not None], float(pending))
                optimizer.step()
                optimizer.zero_grad()
                pending, in_group = 0, 0
        if in_group:
            torch._foreach_div_([p.grad for p in params if p.grad is not None], float(pending))
            optimizer.step()
            optimizer.zero_grad()
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
