"""Typical wrong answers to assignment 7 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

_INTERPOLATION = """

def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator)
    return perm[: n - n_test], perm[n - n_test:]"""

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

_IRIS = """def train_iris(X_train, y_train):
    model = {model}
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    train_loop(model, {loss}, torch.optim.Adam(model.parameters(), lr=0.01), loader, {epochs})
    model.eval()
    return model"""

_MLP = "nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))"


def _iris(model=_MLP, loss="nn.CrossEntropyLoss()", epochs=100):
    return _IRIS.format(model=model, loss=loss, epochs=epochs)


# test_iris_accuracy is graded on the outcome (the accuracy averaged over ten hidden iris splits,
# grading/outcome.py; full marks 0.93, none 0.85): a mistake that still trains a good model (no
# activation, a softmax at the end) loses only test_iris_is_mlp's point. Each iris mistake below
# reaches a mean of 0.84 or less on every one of 20 secrets measured (benchmarks/outcome_margins.py).
_IRIS_TESTS = {"test_iris_accuracy"}

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
    return perm[: n - n_test - 1], perm[n - n_test - 1:]""",
        "fails": {"test_split_sizes", "test_interpolation_split"},
    },
    "overlapping splits: train and test drawn separately": {
        "cell": "splits",
        "code": _EXTRAPOLATION + """

def interpolation_split(n, n_test=20, generator=None):
    train = torch.randperm(n, generator=generator)[: n - n_test]
    test = torch.randperm(n, generator=generator)[n - n_test:]
    return train, test""",
        "fails": {"test_split_sizes", "test_interpolation_split"},
    },
    "interpolation split ignores the generator": {
        "cell": "splits",
        "code": _EXTRAPOLATION + """

def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n)
    return perm[: n - n_test], perm[n - n_test:]""",
        "fails": {"test_interpolation_split"},
    },
    "interpolation split: test positions from the front of the permutation": {
        "cell": "splits",
        "code": _EXTRAPOLATION + """

def interpolation_split(n, n_test=20, generator=None):
    perm = torch.randperm(n, generator=generator)
    return perm[n_test:], perm[:n_test]""",
        "fails": {"test_interpolation_split"},
    },
    "interpolation split shuffled another way (argsort of torch.rand)": {
        "cell": "splits",
        "code": _EXTRAPOLATION + """

def interpolation_split(n, n_test=20, generator=None):
    perm = torch.argsort(torch.rand(n, generator=generator))
    return perm[: n - n_test], perm[n - n_test:]""",
        "fails": {"test_interpolation_split"},
    },
    "forgot optimizer.zero_grad()": {
        "cell": "train_loop",
        "code": _LOOP.format(body="""            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()"""),
        # gradients pile up, so the steps grow until SGD diverges: the two loop tests catch it on any
        # stream. train_iris (which uses train_loop, with Adam, whose normalised steps survive summed
        # gradients) misses 0.93 on the in-process test secret's splits, but on other secrets it
        # reaches a mean of 0.852-0.922 (20 secrets measured), close to a correct answer's 0.937 or
        # more: its iris verdict is incidental, never what catches it
        "fails": {"test_loop_learns", "test_loop_exact"} | _IRIS_TESTS,
    },
    "forgot optimizer.step()": {
        "cell": "train_loop",
        "code": _LOOP.format(body="""            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()"""),
        # train_iris uses train_loop, so its model stays at its random initialisation too
        "fails": {"test_loop_learns", "test_loop_exact"} | _IRIS_TESTS,
    },
    "step before backward": {
        "cell": "train_loop",
        "code": _LOOP.format(body="""            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            optimizer.step()
            loss.backward()"""),
        "fails": {"test_loop_learns", "test_loop_exact"} | _IRIS_TESTS,
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
        "fails": {"test_loop_learns", "test_loop_exact"},
    },
    "plain mean of the batch losses (the short last batch weighs as much as a full one)": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    for _ in range(epochs):
        batch_losses = []
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        history.append(sum(batch_losses) / len(batch_losses))
    return history""",
        "fails": {"test_loop_exact"},
    },
    "every batch counted as loader.batch_size samples": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * loader.batch_size
            count += loader.batch_size
        history.append(total / count)
    return history""",
        "fails": {"test_loop_exact"},
    },
    "divides by len(loader.dataset) (a list of batches has none)": {
        "cell": "train_loop",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs):
    model.train()
    history = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        history.append(total / len(loader.dataset))
    return history""",
        "fails": {"test_loop_exact"},
    },
    "never puts the model in training mode": {
        "cell": "train_loop",
        "code": _LOOP.replace("    model.train()\n", "").format(body="""            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()"""),
        "fails": {"test_loop_exact"},
    },
    "standardised each set with its own statistics": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    def own(X):
        dims = [0] + list(range(2, X.dim()))
        return (X - X.mean(dim=dims, keepdim=True)) / X.std(dim=dims, keepdim=True)
    return own(X_train), own(X_test)""",
        "fails": {"test_standardise"},
    },
    "one mean per pixel (dim=0 only), not per channel": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "each image with its own statistics (dims 1 onwards)": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    def own(X):
        dims = list(range(1, X.dim()))
        return (X - X.mean(dim=dims, keepdim=True)) / X.std(dim=dims, keepdim=True)
    return own(X_train), own(X_test)""",
        "fails": {"test_standardise"},
    },
    "dimensions (0, 2, 3) written out: only images work": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    mean = X_train.mean(dim=(0, 2, 3), keepdim=True)
    std = X_train.std(dim=(0, 2, 3), keepdim=True)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "one mean and std for the whole tensor": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    mean, std = X_train.mean(), X_train.std()
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "statistics of train and test together": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    both = torch.cat([X_train, X_test])
    dims = [0] + list(range(2, both.dim()))
    mean, std = both.mean(dim=dims, keepdim=True), both.std(dim=dims, keepdim=True)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "standardised in place": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    dims = [0] + list(range(2, X_train.dim()))
    mean, std = X_train.mean(dim=dims, keepdim=True), X_train.std(dim=dims, keepdim=True)
    return X_train.sub_(mean).div_(std), X_test.sub_(mean).div_(std)""",
        "fails": {"test_standardise"},
    },
    "population std (unbiased=False), not the default std": {
        "cell": "standardise",
        "code": """def standardise(X_train, X_test):
    dims = [0] + list(range(2, X_train.dim()))
    mean = X_train.mean(dim=dims, keepdim=True)
    std = X_train.std(dim=dims, keepdim=True, unbiased=False)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "no activation between the layers": {
        "cell": "train_iris",
        "code": _iris(model="nn.Sequential(nn.Linear(4, 16), nn.Linear(16, 3))"),
        "fails": {"test_iris_is_mlp"},
    },
    "model ends in a softmax (probabilities, not logits)": {
        "cell": "train_iris",
        "code": _iris(model="nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1))"),
        "fails": {"test_iris_is_mlp"},
    },
    "undertrained: far too little training (2 epochs)": {
        "cell": "train_iris",
        "code": _iris(epochs=2),
        "fails": _IRIS_TESTS,
    },
    "overfit to a small subset: 300 epochs on the first 6 rows": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    train_loop(model, nn.CrossEntropyLoss(), optimizer, [(X_train[:6], y_train[:6])], 300)
    model.eval()
    return model""",
        "fails": _IRIS_TESTS,
    },
    "predictions made in train mode, with dropout active": {
        "cell": "train_iris",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    train_loop(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), loader, 100)
    return model""",
        "fails": _IRIS_TESTS,
    },
    "a model that ignores the petal measurements (the last two columns)": {
        "cell": "train_iris",
        "code": """class SepalsOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x[:, :2])


def train_iris(X_train, y_train):
    model = SepalsOnly()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    train_loop(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), loader, 100)
    model.eval()
    return model""",
        "fails": _IRIS_TESTS,
    },
    "a loss that does not fit: nn.NLLLoss on raw logits (no log-softmax)": {
        "cell": "train_iris",
        "code": _iris(loss="nn.NLLLoss()"),
        "fails": _IRIS_TESTS,
    },
    "a loss that does not fit: MSE between the logits and the class index": {
        "cell": "train_iris",
        "code": _iris(loss="lambda out, y: nn.functional.mse_loss(out, y.float().unsqueeze(1))"),
        "fails": _IRIS_TESTS,
    },
    'early stopping: state_dict kept without a copy': {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    import copy
    val_losses, best_epoch, best_state = [], 0, None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        if best_state is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            best_state = model.state_dict()
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return val_losses, best_epoch""",
        "fails": {'test_early_stopping_restores'},
    },
    'early stopping: the best parameters never put back': {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    import copy
    val_losses, best_epoch, best_state = [], 0, None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        if best_state is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.eval()
    return val_losses, best_epoch""",
        "fails": {'test_early_stopping_restores'},
    },
    'early stopping: one epoch too many before stopping': {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    import copy
    val_losses, best_epoch, best_state = [], 0, None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        if best_state is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch > patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return val_losses, best_epoch""",
        "fails": {'test_early_stopping_restores', 'test_early_stopping_when'},
    },
    'early stopping: validation in training mode (dropout on)': {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    import copy
    val_losses, best_epoch, best_state = [], 0, None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        if best_state is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return val_losses, best_epoch""",
        "fails": {'test_early_stopping_restores', 'test_early_stopping_when'},
    },
    'early stopping: best epoch counted from 1': {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    import copy
    val_losses, best_epoch, best_state = [], 0, None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        if best_state is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return val_losses, best_epoch + 1""",
        "fails": {'test_early_stopping_restores', 'test_early_stopping_when'},
    },
    "early stopping: the last training batch's loss recorded instead of the validation loss": {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    import copy
    val_losses, best_epoch, best_state = [], 0, None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss.item())
        if best_state is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return val_losses, best_epoch""",
        "fails": {'test_early_stopping_restores', 'test_early_stopping_when'},
    },
    'early stopping: patience counted from the first epoch, not from the best': {
        "cell": "train_early_stopping",
        "code": """def train_early_stopping(model, loss_fn, optimizer, loader, X_val, y_val, max_epochs, patience):
    import copy
    val_losses, best_epoch, best_state = [], 0, None
    for epoch in range(max_epochs):
        model.train()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val), y_val).item())
        if best_state is None or val_losses[-1] < val_losses[best_epoch]:
            best_epoch = epoch
            best_state = copy.deepcopy(model.state_dict())
        if epoch >= patience and val_losses[-1] >= val_losses[-1 - patience]:
            break
    model.load_state_dict(best_state)
    model.eval()
    return val_losses, best_epoch""",
        "fails": {'test_early_stopping_restores', 'test_early_stopping_when'},
    },
}

# carol forgets optimizer.step(): her iris model stays at its initialisation on every hidden split, so
# her score does not depend on the course's secret (a forgotten zero_grad still trains iris fairly
# well: a mean of 0.852-0.922 over the hidden splits, measured, which earns part of the points)
DEMO = {
    "wrong": "forgot optimizer.step()",
    "scores": {"alice": 19, "bob": 0, "carol": 11},
}
