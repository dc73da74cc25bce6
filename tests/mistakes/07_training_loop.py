"""Typical wrong answers to assignment 7 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get. A "hint" is what
`make feedback` tells a student whose failures match the entry (docs/report.md): where to look,
never the answer.
"""

_FORECAST = """def forecast_split(t, n_test, gap=0):
    order = torch.argsort(t)
    return order[: len(t) - n_test - gap], order[len(t) - n_test:]
"""

_GROUP = """

def group_split(groups, n_test_groups, generator=None):
    labels = torch.unique(groups)
    held_out = labels[torch.randperm(len(labels), generator=generator)[:n_test_groups]]
    is_test = torch.isin(groups, held_out)
    return torch.nonzero(~is_test).flatten(), torch.nonzero(is_test).flatten()"""


def _forecast(body):
    return "def forecast_split(t, n_test, gap=0):\n" + body + "\n" + _GROUP


def _group(body):
    return _FORECAST + "\n\ndef group_split(groups, n_test_groups, generator=None):\n" + body


# A correct train_loop in a student's style (the step a helper; each batch's loss times its size,
# the group's sum divided by its samples at the step); each mistake below changes one thing in it.
_LOOP = """def _step(model, optimizer, samples):
    with torch.no_grad():
        for p in model.parameters():
            p.grad /= samples
    optimizer.step()
    optimizer.zero_grad()


def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train()
    history = []
    for _ in range(epochs):
        optimizer.zero_grad()
        total, count, batches, samples = 0.0, 0, 0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            (loss * len(xb)).backward()
            batches, samples = batches + 1, samples + len(xb)
            total += loss.item() * len(xb)
            count += len(xb)
            if batches == accumulate:
                _step(model, optimizer, samples)
                batches, samples = 0, 0
        if batches:
            _step(model, optimizer, samples)
        history.append(total / count)
    return history"""


def _loop(*changes):
    """_LOOP with each (old, new) replaced; each old text must be there."""
    code = _LOOP
    for old, new in changes:
        assert old in code, old
        code = code.replace(old, new)
    return code


# The tutorial's accumulation: each batch's mean loss divided by accumulate, a step every
# accumulate batches; {last} is what happens to the epoch's last, shorter group.
_TUTORIAL = """def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train()
    history = []
    for _ in range(epochs):
        optimizer.zero_grad()
        total, count, batches = 0.0, 0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            (loss / accumulate).backward()
            batches += 1
            total += loss.item() * len(xb)
            count += len(xb)
            if batches % accumulate == 0:
                optimizer.step()
                optimizer.zero_grad()
{last}
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
_LOOP_TESTS = {"test_loop_basic", "test_loop_accumulate", "test_loop_group_edges"}
_GROUP_TESTS = {"test_loop_accumulate", "test_loop_group_edges"}

MISTAKES = {
    "forecast split by position, not by time": {
        "cell": "splits",
        "hint": "The rows come in any order: which rows are the latest is decided by t, not by where they sit.",
        "code": _forecast("""    n = len(t)
    return torch.arange(n - n_test - gap), torch.arange(n - n_test, n)"""),
        "fails": {"test_forecast_split"},
    },
    "forecast split holds out the earliest rows": {
        "cell": "splits",
        "hint": "A forecast is about days after the training data: which end of the time order is the test set?",
        "code": _forecast("""    order = torch.argsort(t)
    return order[n_test + gap:], order[:n_test]"""),
        "fails": {"test_forecast_split"},
    },
    "forecast split ignores the gap (the lesson's extrapolation split)": {
        "cell": "splits",
        "hint": "The rows just before the test rows belong to neither set: count how many training rows you return.",
        "code": _forecast("""    order = torch.argsort(t)
    return order[: len(t) - n_test], order[len(t) - n_test:]"""),
        "fails": {"test_forecast_split"},
    },
    "forecast split leaves out the earliest rows instead of those before the test rows": {
        "cell": "splits",
        "hint": "Which rows are nearly alike the test rows: the earliest ones, or the ones just before them in time?",
        "code": _forecast("""    order = torch.argsort(t)
    return order[gap: len(t) - n_test], order[len(t) - n_test:]"""),
        "fails": {"test_forecast_split"},
    },
    "group split: a random split of the rows (one patient's photos on both sides)": {
        "cell": "splits",
        "hint": "In use the model meets new patients: can a patient of your test set have photos in the training set?",
        "code": _group("""    n_groups = len(torch.unique(groups))
    n_test = round(len(groups) * n_test_groups / n_groups)
    perm = torch.randperm(len(groups), generator=generator)
    return perm[n_test:], perm[:n_test]"""),
        "fails": {"test_group_split", "test_group_split_random"},
    },
    "group split: random rows drawn, then their groups held out": {
        "cell": "splits",
        "hint": "Draw among the groups, not among the rows: rows of one group can be drawn twice, and the rows' order then decides.",
        "code": _group("""    rows = torch.randperm(len(groups), generator=generator)[:n_test_groups]
    is_test = torch.isin(groups, groups[rows])
    return torch.nonzero(~is_test).flatten(), torch.nonzero(is_test).flatten()"""),
        "fails": {"test_group_split", "test_group_split_random"},
    },
    "group split: the labels taken to be 0 ... G - 1": {
        "cell": "splits",
        "hint": "The labels are any integers, such as record numbers: draw among the labels that are actually there.",
        "code": _group("""    n_groups = len(torch.unique(groups))
    held_out = torch.randperm(n_groups, generator=generator)[:n_test_groups]
    is_test = torch.isin(groups, held_out)
    return torch.nonzero(~is_test).flatten(), torch.nonzero(is_test).flatten()"""),
        "fails": {"test_group_split", "test_group_split_random"},
    },
    "group split: the groups taken in the order they first appear": {
        "cell": "splits",
        "hint": "List the same rows in another order and split again with the same seed: does the same patient stay out?",
        "code": _group("""    labels = torch.tensor(list(dict.fromkeys(groups.tolist())))
    held_out = labels[torch.randperm(len(labels), generator=generator)[:n_test_groups]]
    is_test = torch.isin(groups, held_out)
    return torch.nonzero(~is_test).flatten(), torch.nonzero(is_test).flatten()"""),
        "fails": {"test_group_split_random"},
    },
    "group split: torch's global generator": {
        "cell": "splits",
        "hint": "Draw with the generator passed to the function, not with torch's global random state.",
        "code": _group("""    labels = torch.unique(groups)
    held_out = labels[torch.randperm(len(labels))[:n_test_groups]]
    is_test = torch.isin(groups, held_out)
    return torch.nonzero(~is_test).flatten(), torch.nonzero(is_test).flatten()"""),
        "fails": {"test_group_split_random"},
    },
    "group split: always the groups with the largest labels": {
        "cell": "splits",
        "hint": "The test groups should be drawn at random: does another seed ever change your split?",
        "code": _group("""    labels = torch.unique(groups)
    is_test = torch.isin(groups, labels[len(labels) - n_test_groups:])
    return torch.nonzero(~is_test).flatten(), torch.nonzero(is_test).flatten()"""),
        "fails": {"test_group_split_random"},
    },
    "group split returns boolean masks, not positions": {
        "cell": "splits",
        "hint": "Look at the dtype and length of what you return: the exercise asks for positions.",
        "code": _group("""    labels = torch.unique(groups)
    held_out = labels[torch.randperm(len(labels), generator=generator)[:n_test_groups]]
    is_test = torch.isin(groups, held_out)
    return ~is_test, is_test"""),
        "fails": {"test_group_split"},
    },
    "the lesson's loop: accumulate ignored, a step after every batch": {
        "cell": "train_loop",
        "hint": "With accumulate=k the optimiser should step once per group of k batches: count your steps.",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train()
    history = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        history.append(total / count)
    return history""",
        "fails": _GROUP_TESTS,
    },
    "gradients cleared before every backward: only a group's last batch counts": {
        "cell": "train_loop",
        "hint": "Accumulating means letting backward add to .grad: when may the gradients be cleared?",
        "code": _loop(("            (loss * len(xb)).backward()",
                       "            optimizer.zero_grad()\n            (loss * len(xb)).backward()")),
        "fails": _GROUP_TESTS,
    },
    "gradients summed over the group, not averaged (k times the step)": {
        "cell": "train_loop",
        "hint": "A batch's loss is a mean over its samples: is the gradient you step on a mean over the group's samples too?",
        "code": _loop(("            (loss * len(xb)).backward()", "            loss.backward()"),
                      ("            p.grad /= samples", "            pass")),
        "fails": _GROUP_TESTS,
    },
    "the tutorial's loss / accumulate: a short last group steps too little": {
        "cell": "train_loop",
        "hint": "Follow one epoch whose last group is short, or whose last batch is short: which batches make up each group, and does each sample weigh the same in the group's step?",
        "code": _TUTORIAL.format(last="""        if batches % accumulate:
            optimizer.step()
            optimizer.zero_grad()"""),
        "fails": {"test_loop_group_edges"},
    },
    "the batches of a group weighted equally (a short batch counts as a full one)": {
        "cell": "train_loop",
        "hint": "Follow one epoch whose last group is short, or whose last batch is short: which batches make up each group, and does each sample weigh the same in the group's step?",
        "code": _loop(("            (loss * len(xb)).backward()", "            loss.backward()"),
                      ("                _step(model, optimizer, samples)\n                batches",
                       "                _step(model, optimizer, batches)\n                batches"),
                      ("        if batches:\n            _step(model, optimizer, samples)",
                       "        if batches:\n            _step(model, optimizer, batches)")),
        "fails": {"test_loop_group_edges"},
    },
    "the last, incomplete group of an epoch never stepped": {
        "cell": "train_loop",
        "hint": "When the number of batches is not a multiple of accumulate, what happens to the batches after the last full group?",
        "code": _loop(("        if batches:\n            _step(model, optimizer, samples)\n", "")),
        "fails": {"test_loop_group_edges"},
    },
    "no zero_grad before the first group: the gradients found in the model join its step": {
        "cell": "train_loop",
        "hint": "What does .grad hold when train_loop is called, before your first backward?",
        "code": _loop(("    for _ in range(epochs):\n        optimizer.zero_grad()\n", "    for _ in range(epochs):\n")),
        "fails": {"test_loop_group_edges"},
    },
    "groups run on across epochs (the batch counter never reset)": {
        "cell": "train_loop",
        "hint": "Follow one epoch whose last group is short, or whose last batch is short: which batches make up each group, and does each sample weigh the same in the group's step?",
        "code": """def train_loop(model, loss_fn, optimizer, loader, epochs, accumulate=1):
    model.train()
    history = []
    optimizer.zero_grad()
    step = 0
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            (loss / accumulate).backward()
            step += 1
            total += loss.item() * len(xb)
            count += len(xb)
            if step % accumulate == 0:
                optimizer.step()
                optimizer.zero_grad()
        history.append(total / count)
    return history""",
        "fails": {"test_loop_group_edges"},
    },
    "forgot optimizer.step()": {
        "cell": "train_loop",
        "hint": "Look for the one line of the loop that changes the parameters.",
        "code": _loop(("    optimizer.step()\n", "")),
        # train_iris uses train_loop, so its model stays at its random initialisation too
        "fails": _LOOP_TESTS | _IRIS_TESTS,
    },
    "never clears the gradients": {
        "cell": "train_loop",
        "hint": "backward() adds to .grad: after a step, what is still in .grad when the next group begins?",
        "code": _loop(("        optimizer.zero_grad()\n        total", "        total"),
                      ("    optimizer.step()\n    optimizer.zero_grad()\n", "    optimizer.step()\n")),
        "fails": _LOOP_TESTS,
    },
    "returns the last batch's loss, not the epoch's mean": {
        "cell": "train_loop",
        "hint": "The loss of an epoch is the mean over all of its samples, not the loss of one batch.",
        "code": _loop(("        history.append(total / count)", "        history.append(loss.item())")),
        "fails": {"test_loop_basic", "test_loop_accumulate"},
    },
    "plain mean of the batch losses (the short last batch weighs as much as a full one)": {
        "cell": "train_loop",
        "hint": "When the last batch is shorter, does each batch's loss weigh as much as its number of samples?",
        "code": _loop(("            total += loss.item() * len(xb)\n            count += len(xb)",
                       "            total += loss.item()\n            count += 1")),
        "fails": {"test_loop_basic"},
    },
    "every batch counted as loader.batch_size samples": {
        "cell": "train_loop",
        "hint": "The loader may be a plain list of batches, and a DataLoader's last batch can be shorter: count the samples you see.",
        "code": _loop(("            total += loss.item() * len(xb)\n            count += len(xb)",
                       "            total += loss.item() * loader.batch_size\n            count += loader.batch_size")),
        "fails": {"test_loop_basic", "test_loop_accumulate"},
    },
    "divides by len(loader.dataset) (a list of batches has none)": {
        "cell": "train_loop",
        "hint": "The loader may be a plain list of batches: count the samples as they go by.",
        "code": _loop(("        history.append(total / count)", "        history.append(total / len(loader.dataset))")),
        "fails": {"test_loop_basic", "test_loop_accumulate"},
    },
    "never puts the model in training mode": {
        "cell": "train_loop",
        "hint": "A model can arrive in evaluation mode: which mode should it train in?",
        "code": _loop(("    model.train()\n", "")),
        "fails": {"test_loop_basic"},
    },
    "standardised each set with its own statistics": {
        "cell": "standardise",
        "hint": "Which data's statistics may the model know about? The test tensor is standardised with the statistics of another set.",
        "code": """def standardise(X_train, X_test):
    def own(X):
        dims = [0] + list(range(2, X.dim()))
        return (X - X.mean(dim=dims, keepdim=True)) / X.std(dim=dims, keepdim=True)
    return own(X_train), own(X_test)""",
        "fails": {"test_standardise"},
    },
    "one mean per pixel (dim=0 only), not per channel": {
        "cell": "standardise",
        "hint": "Each channel gets one mean, computed over all images and all positions: which dimensions do you reduce over?",
        "code": """def standardise(X_train, X_test):
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "each image with its own statistics (dims 1 onwards)": {
        "cell": "standardise",
        "hint": "The statistics are per channel, over the whole training set, not per image.",
        "code": """def standardise(X_train, X_test):
    def own(X):
        dims = list(range(1, X.dim()))
        return (X - X.mean(dim=dims, keepdim=True)) / X.std(dim=dims, keepdim=True)
    return own(X_train), own(X_test)""",
        "fails": {"test_standardise"},
    },
    "dimensions (0, 2, 3) written out: only images work": {
        "cell": "standardise",
        "hint": "The tensors can have any number of dimensions after the channel one: build the list of dimensions from X_train.dim().",
        "code": """def standardise(X_train, X_test):
    mean = X_train.mean(dim=(0, 2, 3), keepdim=True)
    std = X_train.std(dim=(0, 2, 3), keepdim=True)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "one mean and std for the whole tensor": {
        "cell": "standardise",
        "hint": "Channels can have very different scales: each one gets its own mean and standard deviation.",
        "code": """def standardise(X_train, X_test):
    mean, std = X_train.mean(), X_train.std()
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "statistics of train and test together": {
        "cell": "standardise",
        "hint": "The test data must not influence anything computed from the data: whose statistics are these?",
        "code": """def standardise(X_train, X_test):
    both = torch.cat([X_train, X_test])
    dims = [0] + list(range(2, both.dim()))
    mean, std = both.mean(dim=dims, keepdim=True), both.std(dim=dims, keepdim=True)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "standardised in place": {
        "cell": "standardise",
        "hint": "Do the tensors you were given look the same after your function returns?",
        "code": """def standardise(X_train, X_test):
    dims = [0] + list(range(2, X_train.dim()))
    mean, std = X_train.mean(dim=dims, keepdim=True), X_train.std(dim=dims, keepdim=True)
    return X_train.sub_(mean).div_(std), X_test.sub_(mean).div_(std)""",
        "fails": {"test_standardise"},
    },
    "population std (unbiased=False), not the default std": {
        "cell": "standardise",
        "hint": "Check which standard deviation the exercise asks for: torch's default divides by the number of values minus one.",
        "code": """def standardise(X_train, X_test):
    dims = [0] + list(range(2, X_train.dim()))
    mean = X_train.mean(dim=dims, keepdim=True)
    std = X_train.std(dim=dims, keepdim=True, unbiased=False)
    return (X_train - mean) / std, (X_test - mean) / std""",
        "fails": {"test_standardise"},
    },
    "no activation between the layers": {
        "cell": "train_iris",
        "hint": "Two linear layers in a row are still one linear map: what goes between them?",
        "code": _iris(model="nn.Sequential(nn.Linear(4, 16), nn.Linear(16, 3))"),
        "fails": {"test_iris_is_mlp"},
    },
    "model ends in a softmax (probabilities, not logits)": {
        "cell": "train_iris",
        "hint": "nn.CrossEntropyLoss applies the softmax itself: what should the model's last layer output?",
        "code": _iris(model="nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1))"),
        "fails": {"test_iris_is_mlp"},
    },
    "undertrained: far too little training (2 epochs)": {
        "cell": "train_iris",
        "hint": "Look at the training loss of your model at the end: has training finished?",
        "code": _iris(epochs=2),
        "fails": _IRIS_TESTS,
    },
    "overfit to a small subset: 300 epochs on the first 6 rows": {
        "cell": "train_iris",
        "hint": "Which rows does your model learn from? Use the whole training set.",
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
        "hint": "Your model is used to predict exactly as you return it: in which mode should it be?",
        "code": """def train_iris(X_train, y_train):
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    train_loop(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.01), loader, 100)
    return model""",
        "fails": _IRIS_TESTS,
    },
    "a model that ignores the petal measurements (the last two columns)": {
        "cell": "train_iris",
        "hint": "Does your model look at all four measurements?",
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
        "hint": "Read what nn.NLLLoss expects as input, and compare with what your model outputs.",
        "code": _iris(loss="nn.NLLLoss()"),
        "fails": _IRIS_TESTS,
    },
    "a loss that does not fit: MSE between the logits and the class index": {
        "cell": "train_iris",
        "hint": "The labels are classes, not numbers to regress: which loss fits a classifier's logits?",
        "code": _iris(loss="lambda out, y: nn.functional.mse_loss(out, y.float().unsqueeze(1))"),
        "fails": _IRIS_TESTS,
    },
    'early stopping: state_dict kept without a copy': {
        "cell": "train_early_stopping",
        "hint": "After training stops, check which epoch's parameters your model holds: what did you save at the best epoch, and did it survive the epochs after it?",
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
        "hint": "After training stops, check which epoch's parameters your model holds: what did you save at the best epoch, and did it survive the epochs after it?",
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
        "hint": "Count the epochs without improvement after the best one: stop as soon as there are patience of them.",
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
        "hint": "In which mode should the model be when you measure its validation loss?",
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
        "hint": "Is the best epoch you return an index into val_losses, counted from 0?",
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
        "hint": "Which data is the loss you record each epoch computed on?",
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
        "hint": "Patience counts the epochs since the best one so far, not since the start.",
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
# her score does not depend on the course's secret
DEMO = {
    "wrong": "forgot optimizer.step()",
    "scores": {"alice": 19, "bob": 0, "carol": 11},
}
