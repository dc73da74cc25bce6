"""Correct answers to assignment 4 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    # --- softmax ---------------------------------------------------------------------------
    "softmax: amax, torch.exp and torch.sum": {
        "cell": "softmax",
        "code": """def softmax(logits, dim):
    e = torch.exp(logits - torch.amax(logits, dim=dim, keepdim=True))
    return e / torch.sum(e, dim=dim, keepdim=True)""",
    },
    "softmax: float64 inside, float32 out": {
        "cell": "softmax",
        "code": """def softmax(logits, dim):
    z = logits.double()
    z = z - z.max(dim=dim, keepdim=True)[0]
    return (z.exp() / z.exp().sum(dim, keepdim=True)).to(logits.dtype)""",
    },
    "softmax: movedim to the last dimension, a loop over the rows, back": {
        "cell": "softmax",
        "code": """def softmax(logits, dim):
    moved = logits.movedim(dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = []
    for row in rows:
        e = (row - row.max()).exp()
        out.append(e / e.sum())
    return torch.stack(out).reshape(moved.shape).movedim(-1, dim)""",
    },
    # --- cross_entropy ---------------------------------------------------------------------
    "cross-entropy: torch.logsumexp and fancy indexing": {
        "cell": "cross_entropy",
        "code": """def cross_entropy(logits, y, label_smoothing):
    lse = torch.logsumexp(logits, dim=1)
    picked = logits[torch.arange(len(y)), y]
    spread = logits.mean(dim=1)
    return ((1 - label_smoothing) * (lse - picked) + label_smoothing * (lse - spread)).mean()""",
    },
    "cross-entropy: the smoothed target written out, one-hot plus ε / C": {
        "cell": "cross_entropy",
        "code": """def cross_entropy(logits, y, label_smoothing):
    C = logits.shape[1]
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    target = F.one_hot(y, C).to(logits.dtype) * (1 - label_smoothing) + label_smoothing / C
    return -(target * log_probs).sum(dim=1).sum() / logits.shape[0]""",
    },
    "cross-entropy: float64 inside, a loop over the examples": {
        "cell": "cross_entropy",
        "code": """def cross_entropy(logits, y, label_smoothing):
    z = logits.double()
    total = 0
    for row, label in zip(z, y):
        lse = row.max() + (row - row.max()).exp().sum().log()
        total = total + (1 - label_smoothing) * (lse - row[label]) + label_smoothing * (lse - row.mean())
    return (total / len(y)).to(logits.dtype)""",
    },
    # --- top_k_accuracy --------------------------------------------------------------------
    "top-k: how many logits lie above the label's": {
        "cell": "top_k_accuracy",
        "code": """def top_k_accuracy(logits, y, k):
    label_logit = logits.gather(1, y.view(-1, 1))
    above = (logits > label_logit).sum(dim=1)
    return (above < k).double().mean().item()""",
    },
    "top-k: argsort descending, the first k columns": {
        "cell": "top_k_accuracy",
        "code": """def top_k_accuracy(logits, y, k):
    best = torch.argsort(logits, dim=1, descending=True)[:, :k]
    hits = (best == y[:, None]).sum().item()
    return hits / len(y)""",
    },
    "top-k: a loop over the rows with Python lists": {
        "cell": "top_k_accuracy",
        "code": """def top_k_accuracy(logits, y, k):
    right = 0
    for row, label in zip(logits.tolist(), y.tolist()):
        ranked = sorted(range(len(row)), key=lambda c: row[c], reverse=True)
        right += label in ranked[:k]
    return right / len(y)""",
    },
    # --- sgd_step --------------------------------------------------------------------------
    "sgd: sub_ in place, grads zeroed": {
        "cell": "sgd_step",
        "code": """def sgd_step(W, b, X, y, lr, loss_fn):
    loss = loss_fn(X @ W + b, y)
    loss.backward()
    with torch.no_grad():
        W.sub_(lr * W.grad)
        b.sub_(lr * b.grad)
        W.grad.zero_()
        b.grad.zero_()
    return float(loss)""",
    },
    "sgd: add_ with alpha over a list of parameters, torch.matmul": {
        "cell": "sgd_step",
        "code": """def sgd_step(W, b, X, y, lr, loss_fn):
    loss = loss_fn(torch.matmul(X, W) + b, y)
    loss.backward()
    for p in (W, b):
        with torch.no_grad():
            p.add_(p.grad, alpha=-lr)
        p.grad = None
    return loss.item()""",
    },
    "sgd: autograd.grad, no .grad at all": {
        "cell": "sgd_step",
        "code": """def sgd_step(W, b, X, y, lr, loss_fn):
    loss = loss_fn(X.mm(W) + b, y)
    gW, gb = torch.autograd.grad(loss, [W, b])
    with torch.no_grad():
        W -= lr * gW
        b -= lr * gb
    return loss.detach().item()""",
    },
    "sgd: torch.optim.SGD on W and b": {
        "cell": "sgd_step",
        "code": """def sgd_step(W, b, X, y, lr, loss_fn):
    optimizer = torch.optim.SGD([W, b], lr=lr)
    optimizer.zero_grad()
    loss = loss_fn(X @ W + b, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()""",
    },
    # --- train_softmax_regression: any recipe that trains well (graded on held-out images) --
    "training: LambdaLR schedule, nn.CrossEntropyLoss, an unseeded generator of its own": {
        "cell": "train_softmax_regression",
        "code": """import math

def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(784, 10)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    K = epochs * math.ceil(len(X) / batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1 - k / K)
    g = torch.Generator()
    g.seed()
    for _ in range(epochs):
        for idx in torch.randperm(len(X), generator=g).split(batch_size):
            optimizer.zero_grad()
            loss_fn(model.forward(X[idx]), y[idx]).backward()
            optimizer.step()
            scheduler.step()
    return model""",
    },
    "training: the global-seed idiom, torch.manual_seed(0) and DataLoader(shuffle=True)": {
        "cell": "train_softmax_regression",
        "code": """from torch.utils.data import DataLoader, TensorDataset

def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    torch.manual_seed(0)
    model = nn.Linear(784, 10)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0,
                                                  total_iters=epochs * len(loader))
    for epoch in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    return model""",
    },
    "training: Adam, its rate decaying linearly": {
        "cell": "train_softmax_regression",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(784, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * len(range(0, len(X), batch_size))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1 - k / steps)
    for epoch in range(epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            optimizer.zero_grad()
            F.cross_entropy(model(X[idx]), y[idx]).backward()
            optimizer.step()
            scheduler.step()
    return model""",
    },
    "training: a hand-written loop on W and b, no optimizer, packed into an nn.Linear": {
        "cell": "train_softmax_regression",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    g = torch.Generator().manual_seed(2024)
    W = torch.zeros(784, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    total = epochs * ((len(X) + batch_size - 1) // batch_size)
    step = 0
    for epoch in range(epochs):
        for idx in torch.randperm(len(X), generator=g).split(batch_size):
            loss = F.cross_entropy(X[idx] @ W + b, y[idx])
            loss.backward()
            with torch.no_grad():
                rate = lr * (1 - step / total)
                W -= rate * W.grad
                b -= rate * b.grad
            W.grad = None
            b.grad = None
            step += 1
    model = nn.Linear(784, 10)
    with torch.no_grad():
        model.weight.copy_(W.T)
        model.bias.copy_(b)
    return model""",
    },
    "training: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), its Linear layer returned": {
        "cell": "train_softmax_regression",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(
        optimizer, total_iters=epochs * ((len(X) + batch_size - 1) // batch_size), power=1.0)
    loss_fn = nn.CrossEntropyLoss()
    net.train()
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            optimizer.zero_grad()
            loss_fn(net(X[idx].view(-1, 28, 28)), y[idx]).backward()
            optimizer.step()
            scheduler.step()
    return net[1]""",
    },
    "training: 20 epochs of minibatches of 128 by default, cosine schedule": {
        "cell": "train_softmax_regression",
        "code": """def train_softmax_regression(X, y, lr, epochs=20, batch_size=128):
    model = nn.Linear(784, 10)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    batches = (len(X) + batch_size - 1) // batch_size
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * batches)
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    return model""",
    },
    "training: float64 weights and data, back to float32 at the end": {
        "cell": "train_softmax_regression",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    X64 = X.to(torch.float64)
    model = nn.Linear(784, 10, dtype=torch.float64)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(7)
    batches = [idx for _ in range(epochs) for idx in torch.randperm(len(X), generator=generator).split(batch_size)]
    for k, idx in enumerate(batches):
        for group in optimizer.param_groups:
            group["lr"] = lr * (1 - k / len(batches))
        optimizer.zero_grad()
        F.cross_entropy(model(X64[idx]), y[idx]).backward()
        optimizer.step()
    return model.float()""",
    },
    "training: nll_loss of log_softmax (the same loss), data copied with torch.tensor (it warns)": {
        "cell": "train_softmax_regression",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    X = torch.tensor(X)
    model = nn.Linear(784, 10)
    nn.init.constant_(model.weight, 0.0)
    nn.init.constant_(model.bias, 0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    steps = epochs * len(torch.arange(len(X)).split(batch_size))
    step = 0
    for epoch in range(epochs):
        for idx in torch.split(torch.randperm(len(X)), batch_size):
            for group in optimizer.param_groups:
                group["lr"] = lr * (1 - step / steps)
            loss = F.nll_loss(F.log_softmax(model(X[idx]), dim=1), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
    return model""",
    },
    # --- choosing the learning rate ---------------------------------------------------------
    "learning rate: the last 20 % as validation, a log grid, the lowest validation loss": {
        "cell": "choose_learning_rate",
        "code": """n_val = len(X_train) // 5
X_fit, y_fit = X_train[:-n_val], y_train[:-n_val]
X_val, y_val = X_train[-n_val:], y_train[-n_val:]
results = []
for rate in [0.03, 0.1, 0.3, 1.0, 3.0]:
    model = train_softmax_regression(X_fit, y_fit, rate)
    with torch.no_grad():
        logits = model(X_val)
        val_loss = F.cross_entropy(logits, y_val).item()
        val_acc = top_k_accuracy(logits, y_val, 1)
    results.append((val_loss, rate))
    print(f"lr={rate}: validation loss {val_loss:.3f}, accuracy {val_acc:.3f}")
learning_rate = min(results)[1]""",
    },
    "learning rate: a helper that scores a rate, three candidates, the best kept by hand-written loop": {
        "cell": "choose_learning_rate",
        "code": """def validation_accuracy(rate, X, y, n_val=700):
    g = torch.Generator().manual_seed(123)
    order = torch.randperm(len(X), generator=g)
    model = train_softmax_regression(X[order[n_val:]], y[order[n_val:]], lr=rate)
    with torch.no_grad():
        return (model(X[order[:n_val]]).argmax(1) == y[order[:n_val]]).float().mean().item()


best = None
for rate in (0.05, 0.5, 5.0):
    score = validation_accuracy(rate, X_train, y_train)
    print("rate", rate, "validation accuracy", round(score, 3))
    if best is None or score > best[0]:
        best = (score, rate)
learning_rate = float(best[1])""",
    },
    "learning rate: random_split for the validation part, a geometric grid, a dict comprehension": {
        "cell": "choose_learning_rate",
        "code": """from torch.utils.data import random_split

fit_part, val_part = random_split(range(len(X_train)), [0.8, 0.2], generator=torch.Generator().manual_seed(3))
fit, val = torch.tensor(list(fit_part)), torch.tensor(list(val_part))


def score(rate):
    model = train_softmax_regression(X_train[fit], y_train[fit], lr=rate)
    with torch.no_grad():
        return top_k_accuracy(model(X_train[val]), y_train[val], 1)


scores = {rate: score(rate) for rate in (0.02, 0.2, 2.0)}
print(scores)
learning_rate = max(scores, key=scores.get)""",
    },
    'sanity: a loop over the classes, math only': {
        "cell": "sanity_numbers",
        "code": """import math


def zero_model_loss(num_classes):
    return -math.log(1 / num_classes)


def zero_model_bias_grad(y, num_classes):
    labels = y.tolist()
    return torch.tensor([1 / num_classes - labels.count(c) / len(labels) for c in range(num_classes)])


def best_constant_loss(y, num_classes):
    labels = y.tolist()
    total = 0.0
    for c in range(num_classes):
        f = labels.count(c) / len(labels)
        if f > 0:
            total -= f * math.log(f)
    return total""",
    },
    'sanity: one-hot means, torch.special.xlogy, a 0-d log': {
        "cell": "sanity_numbers",
        "code": """import math


def zero_model_loss(num_classes):
    return torch.log(torch.tensor(float(num_classes))).item()


def zero_model_bias_grad(y, num_classes):
    onehot = torch.nn.functional.one_hot(y, num_classes).float()
    return (torch.full((len(y), num_classes), 1.0 / num_classes) - onehot).mean(dim=0)


def best_constant_loss(y, num_classes):
    f = torch.nn.functional.one_hot(y, num_classes).double().mean(dim=0)
    return -torch.special.xlogy(f, f).sum().item()""",
    },
    "sanity: the best bias plugged into the lesson's log-sum-exp by hand (it warns)": {
        "cell": "sanity_numbers",
        "code": """import math
import warnings


def zero_model_loss(num_classes):
    return float(math.log(num_classes))


def zero_model_bias_grad(y, num_classes):
    counts = torch.zeros(num_classes).index_add_(0, y, torch.ones(len(y)))
    return (1 / num_classes - counts / len(y)).to(torch.float32)


def best_constant_loss(y, num_classes):
    counts = torch.bincount(y, minlength=num_classes).double()
    b = torch.where(counts > 0, counts.log(), torch.tensor(-1e300, dtype=torch.float64))
    log_norm = b.max() + (b - b.max()).exp().sum().log()
    picked = b[y]
    warnings.warn("using the closed-form best bias b_c = log(count_c)")
    return float((log_norm - picked).mean())""",
    },
}
