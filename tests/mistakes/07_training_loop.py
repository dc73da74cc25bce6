"""Typical wrong answers to assignment 7 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

_INTERPOLATION = """

def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator)
    return perm[n_test:], perm[:n_test]"""

_EXTRAPOLATION = """def extrapolation_split(x, n_test=20):
    order = torch.argsort(x)
    return order[: len(x) - n_test], order[len(x) - n_test:]
"""

_LOOP = """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
{body}
            total += loss.item() * len(xb)
            count += len(xb)
        history.append(total / count)
    return history"""

_IRIS = """def train_iris(X_train, y_train, seed=0):
    torch.manual_seed(seed)
    model = {model}
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=len(X_train))
    train_loop(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05), loader, {epochs})
    model.eval()
    return model"""

MISTAKES = {
    "extrapolation split by position, not by x": {
        "cell": "splits",
        "code": """def extrapolation_split(x, n_test=20):
    n = len(x)
    return torch.arange(n - n_test), torch.arange(n - n_test, n)
""" + _INTERPOLATION,
        "fails": {"test_extrapolation_split"},
    },
    "extrapolation split holds out the smallest x": {
        "cell": "splits",
        "code": """def extrapolation_split(x, n_test=20):
    order = torch.argsort(x)
    return order[n_test:], order[:n_test]
""" + _INTERPOLATION,
        "fails": {"test_extrapolation_split"},
    },
    "off by one: 79 train, 21 test": {
        "cell": "splits",
        "code": _EXTRAPOLATION + """

def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator)
    return perm[n_test + 1:], perm[:n_test + 1]""",
        "fails": {"test_split_sizes"},
    },
    "overlapping splits: train and test drawn separately": {
        "cell": "splits",
        "code": _EXTRAPOLATION + """

def interpolation_split(n, n_test=20, generator=None):
    train = torch.randperm(n, generator=generator)[: n - n_test]
    test = torch.randperm(n, generator=generator)[:n_test]
    return train, test""",
        "fails": {"test_split_sizes"},
    },
    "interpolation split ignores the generator": {
        "cell": "splits",
        "code": _EXTRAPOLATION + """

def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n)
    return perm[n_test:], perm[:n_test]""",
        "fails": {"test_interpolation_split"},
    },
    "forgot optimizer.zero_grad()": {
        "cell": "train_loop",
        "code": _LOOP.format(body="""            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()"""),
        # gradients pile up, so the steps grow until SGD diverges, and train_iris (which uses
        # train_loop) stops learning too
        "fails": {"test_loop_learns", "test_loop_exact", "test_iris_accuracy"},
    },
    "forgot optimizer.step()": {
        "cell": "train_loop",
        "code": _LOOP.format(body="""            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()"""),
        # train_iris uses train_loop, so its model stays at its random initialisation too
        "fails": {"test_loop_learns", "test_loop_exact", "test_iris_accuracy"},
    },
    "step before backward": {
        "cell": "train_loop",
        "code": _LOOP.format(body="""            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            optimizer.step()
            loss.backward()"""),
        "fails": {"test_loop_learns", "test_loop_exact", "test_iris_accuracy"},
    },
    "returns the last batch's loss, not the epoch's mean": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history.append(loss.item())
    return history""",
        "fails": {"test_loop_exact"},
    },
    "standardised each set with its own statistics": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    return ((X_train - X_train.mean(dim=0)) / X_train.std(dim=0),
            (X_test - X_test.mean(dim=0)) / X_test.std(dim=0))""",
        "fails": {"test_standardise"},
    },
    "statistics of train and test together": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    both = torch.cat([X_train, X_test])
    mean, std = both.mean(dim=0), both.std(dim=0)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "standardised in place": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    return X_train.sub_(mean).div_(std), X_test.sub_(mean).div_(std)""",
        "fails": {"test_standardise"},
    },
    "no activation between the layers": {
        "cell": "train_iris",
        "code": _IRIS.format(model="nn.Sequential(nn.Linear(4, 16), nn.Linear(16, 3))", epochs=100),
        "fails": {"test_iris_is_mlp"},
    },
    "far too little training": {
        "cell": "train_iris",
        "code": _IRIS.format(model="nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))", epochs=2),
        "fails": {"test_iris_accuracy"},
    },
}

DEMO = {
    "wrong": "forgot optimizer.zero_grad()",
    "scores": {"alice": 16, "bob": 0, "carol": 8},
}
