"""Typical wrong answers to assignment 5 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.

test_fit is graded on the outcome (accuracy on hidden spirals, grading/outcome.py): a mistake that
still trains a good model (a softmax at the end of the network) loses only its own tests' points.
The accuracies each mistake reaches: benchmarks/outcome_margins.py.
"""

_FIT = """def train_spiral(X, y, epochs):
    model = build_mlp(2, 100, int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    return model, [train_step(model, optimizer, loss_fn, X, y) for _ in range(epochs)]


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).argmax(dim=1)"""

MISTAKES = {
    "no activation: two stacked linear layers": {
        "cell": "build_mlp",
        "hint": "Without a non-linearity between them, two linear layers make one affine map: what does the spec put between the layers?",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    return nn.Sequential(nn.Linear(n_features, n_hidden), nn.Linear(n_hidden, n_classes))""",
        "fails": {"test_mlp_forward", "test_fit"},
    },
    "sigmoid instead of ReLU": {
        "cell": "build_mlp",
        "hint": "Check which activation the spec puts between the two linear layers.",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    return nn.Sequential(nn.Linear(n_features, n_hidden), nn.Sigmoid(), nn.Linear(n_hidden, n_classes))""",
        "fails": {"test_mlp_forward", "test_fit"},
    },
    "hidden size hard-coded to 100": {
        "cell": "build_mlp",
        "hint": "Does your model use its n_hidden argument? Build it with another hidden size and print the weight shapes.",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    return nn.Sequential(nn.Linear(n_features, 100), nn.ReLU(), nn.Linear(100, n_classes))""",
        "fails": {"test_mlp_parameters", "test_mlp_forward"},
    },
    "softmax at the end of the model": {
        "cell": "build_mlp",
        "hint": "The model should return raw logits: nn.CrossEntropyLoss applies log-softmax itself. Is there anything after your last linear layer?",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    return nn.Sequential(nn.Linear(n_features, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_classes),
                         nn.Softmax(dim=1))""",
        "fails": {"test_mlp_forward"},
    },
    "layers without biases": {
        "cell": "build_mlp",
        "hint": "Count your model's parameters by hand, weights and biases: do your layers keep their biases?",
        "code": """def build_mlp(n_features, n_hidden, n_classes):
    return nn.Sequential(nn.Linear(n_features, n_hidden, bias=False), nn.ReLU(),
                         nn.Linear(n_hidden, n_classes, bias=False))""",
        "fails": {"test_mlp_parameters", "test_mlp_forward", "test_fit"},
    },
    "balanced accuracy: plain accuracy (every point alike)": {
        "cell": "balanced_accuracy",
        "hint": "Balanced accuracy averages each class's own accuracy: does a small class count as much as a large one in your result?",
        "code": """def balanced_accuracy(logits, y):
    return (logits.argmax(dim=1) == y).float().mean().item()""",
        "fails": {"test_balanced_accuracy"},
    },
    "balanced accuracy: the mean over all C classes, absent ones counted as 0": {
        "cell": "balanced_accuracy",
        "hint": "Which classes does your mean run over? Classes that never occur in y are left out, not counted as zero.",
        "code": """def balanced_accuracy(logits, y):
    right = (logits.argmax(dim=1) == y).float()
    per_class = [right[y == c].mean() if (y == c).any() else torch.tensor(0.0) for c in range(logits.shape[1])]
    return torch.stack(per_class).mean().item()""",
        "fails": {"test_balanced_accuracy"},
    },
    "balanced accuracy: per predicted class (precision), not per true class": {
        "cell": "balanced_accuracy",
        "hint": "Group the points by their true class, not by the class your model predicts for them.",
        "code": """def balanced_accuracy(logits, y):
    predicted = logits.argmax(dim=1)
    right = (predicted == y).float()
    return torch.stack([right[predicted == c].mean() for c in predicted.unique()]).mean().item()""",
        "fails": {"test_balanced_accuracy"},
    },
    "balanced accuracy: argmax over the wrong dimension": {
        "cell": "balanced_accuracy",
        "hint": "Along which dimension do you take the argmax? Each row is one point, with its classes along the columns.",
        "code": """def balanced_accuracy(logits, y):
    right = (logits.argmax(dim=0) == y).float()
    return torch.stack([right[y == c].mean() for c in y.unique()]).mean().item()""",
        "fails": {"test_balanced_accuracy"},
    },
    "balanced accuracy: each class's hits over all N points": {
        "cell": "balanced_accuracy",
        "hint": "Each class's accuracy is a fraction of that class's own points: what do you divide its hits by?",
        "code": """def balanced_accuracy(logits, y):
    right = (logits.argmax(dim=1) == y).float()
    return torch.stack([right[y == c].sum() / len(y) for c in y.unique()]).mean().item()""",
        "fails": {"test_balanced_accuracy"},
    },
    "balanced accuracy: returns a 0-d tensor, not a Python float": {
        "cell": "balanced_accuracy",
        "hint": "Check the type of what you return: the exercise asks for a Python float, not a tensor.",
        "code": """def balanced_accuracy(logits, y):
    right = (logits.argmax(dim=1) == y).float()
    return torch.stack([right[y == c].mean() for c in y.unique()]).mean()""",
        "fails": {"test_balanced_accuracy"},
    },
    "forgot optimizer.zero_grad()": {
        "cell": "train_step",
        "hint": "backward() adds to .grad: what is in the gradients when the second call of train_step runs its backward?",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()""",
        "fails": {"test_train_step_twice", "test_fit"},
    },
    "optimizer.step() before loss.backward()": {
        "cell": "train_step",
        "hint": "Do the parameters change after a call of train_step? optimizer.step() applies the gradients that loss.backward() has computed before it.",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    optimizer.step()
    loss.backward()
    return loss.item()""",
        "fails": {"test_train_step", "test_train_step_twice", "test_fit"},
    },
    "forgot optimizer.step()": {
        "cell": "train_step",
        "hint": "Do the parameters change after a call of train_step? optimizer.step() applies the gradients that loss.backward() has computed before it.",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    return loss.item()""",
        "fails": {"test_train_step", "test_train_step_twice", "test_fit"},
    },
    "backward on the logits instead of the loss": {
        "cell": "train_step",
        "hint": "Which tensor do you call backward() on? The gradients should be those of the loss.",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    logits = model(X)
    loss = loss_fn(logits, y)
    logits.sum().backward()
    optimizer.step()
    return loss.item()""",
        "fails": {"test_train_step", "test_train_step_twice", "test_fit"},
    },
    "softmax before nn.CrossEntropyLoss": {
        "cell": "train_step",
        "hint": "nn.CrossEntropyLoss applies log-softmax itself: what do you give it, raw logits or probabilities?",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss = loss_fn(torch.softmax(model(X), dim=1), y)
    loss.backward()
    optimizer.step()
    return loss.item()""",
        "fails": {"test_train_step", "test_train_step_twice"},
    },
    "returns the loss tensor, not a float": {
        "cell": "train_step",
        "hint": "Check the type of what train_step returns: the exercise asks for a Python float.",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss""",
        "fails": {"test_train_step", "test_train_step_twice"},
    },
    "returns the loss after the update, not before": {
        "cell": "train_step",
        "hint": "Which loss do you return: that of the model before this step's update, or after it?",
        "code": """def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()
    loss_fn(model(X), y).backward()
    optimizer.step()
    with torch.no_grad():
        return loss_fn(model(X), y).item()""",
        "fails": {"test_train_step", "test_train_step_twice"},
    },
    "undertrained: Adam's default-sized lr=1e-3 for 100 epochs": {
        "cell": "fit",
        "hint": "Plot your losses: is the loss still falling at the last epoch? Within the budget of epochs, a bolder learning rate may be needed.",
        "code": _FIT.replace("lr=0.05", "lr=1e-3"),
        "fails": {"test_fit"},
    },
    "ignores the epoch budget": {
        "cell": "fit",
        "hint": "How many passes over the data does your training make? Use the epochs argument: the test counts the points back-propagated.",
        "code": _FIT.replace("range(epochs)", "range(300)").replace("lr=0.05", "lr=0.01"),
        "fails": {"test_fit"},
    },
    "overfit to a small subset: 40 random points": {
        "cell": "fit",
        "hint": "Does your training use all the points it is given?",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(2, 100, int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    keep = torch.randperm(len(X))[:40]
    return model, [train_step(model, optimizer, loss_fn, X[keep], y[keep]) for _ in range(epochs)]


def predict(model, X):
    with torch.no_grad():
        return model(X).argmax(dim=1)""",
        "fails": {"test_fit"},
    },
    "predictions made in train mode, with dropout active": {
        "cell": "fit",
        "hint": "If your model uses dropout, is it in evaluation mode when predict runs?",
        "code": """def train_spiral(X, y, epochs):
    model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Dropout(0.5), nn.Linear(100, int(y.max()) + 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    return model, [train_step(model, optimizer, loss_fn, X, y) for _ in range(epochs)]


def predict(model, X):
    with torch.no_grad():
        return model(X).argmax(dim=1)""",
        "fails": {"test_fit"},
    },
    "a model that ignores the second coordinate": {
        "cell": "fit",
        "hint": "Does your model see both coordinates of each point?",
        "code": """def train_spiral(X, y, epochs):
    model = nn.Sequential(nn.Linear(1, 100), nn.ReLU(), nn.Linear(100, int(y.max()) + 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    return model, [train_step(model, optimizer, loss_fn, X[:, :1], y) for _ in range(epochs)]


def predict(model, X):
    with torch.no_grad():
        return model(X[:, :1]).argmax(dim=1)""",
        "fails": {"test_fit"},
    },
    "a loss that does not fit: the class index regressed with nn.MSELoss": {
        "cell": "fit",
        "hint": "The classes are categories, not points on a line: which loss fits a classification into C classes?",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(2, 100, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    mse = nn.MSELoss()
    loss_fn = lambda out, target: mse(out.squeeze(1), target.float())
    losses = [train_step(model, optimizer, loss_fn, X, y) for _ in range(epochs)]
    model.n_classes = int(y.max()) + 1
    return model, losses


def predict(model, X):
    with torch.no_grad():
        return model(X).squeeze(1).round().clamp(0, model.n_classes - 1).long()""",
        "fails": {"test_fit"},
    },
    "a loss that does not fit: nn.NLLLoss on raw logits (no log-softmax)": {
        "cell": "fit",
        "hint": "nn.NLLLoss expects log-probabilities: what does your model output, and which loss takes that?",
        "code": _FIT.replace("nn.CrossEntropyLoss()", "nn.NLLLoss()"),
        "fails": {"test_fit"},
    },
    "a new optimizer every epoch (Adam's running averages reset)": {
        "cell": "fit",
        "hint": "Where do you create your optimizer? Adam keeps running averages from step to step, which a new optimizer starts again.",
        "code": """def train_spiral(X, y, epochs):
    model = build_mlp(2, 100, int(y.max()) + 1)
    losses = []
    for _ in range(epochs):
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=1e-4)
        losses.append(train_step(model, optimizer, nn.CrossEntropyLoss(), X, y))
    return model, losses


def predict(model, X):
    with torch.no_grad():
        return model(X).argmax(dim=1)""",
        "fails": {"test_fit"},
    },
    'weight decay: lam · sum of squares, without the 1/2': {
        "cell": "l2_penalty",
        "hint": "Differentiate your penalty with respect to one parameter: do you get lam · p, or a multiple of it?",
        "code": """def l2_penalty(model, lam):
    return lam * sum((p ** 2).sum() for p in model.parameters())""",
        "fails": {'test_l2_gradient', 'test_l2_matches_weight_decay'},
    },
    'weight decay: the weights only, biases left out': {
        "cell": "l2_penalty",
        "hint": "Which parameters does weight_decay act on? The exercise says every parameter the optimiser holds, biases included.",
        "code": """def l2_penalty(model, lam):
    return lam / 2 * sum((p ** 2).sum() for name, p in model.named_parameters() if name.endswith("weight"))""",
        "fails": {'test_l2_gradient', 'test_l2_matches_weight_decay'},
    },
    'weight decay: the norm, not its square': {
        "cell": "l2_penalty",
        "hint": "Differentiate your penalty: the gradient of a norm is not proportional to p. Which function of p has the gradient lam · p?",
        "code": """def l2_penalty(model, lam):
    return lam / 2 * torch.cat([p.flatten() for p in model.parameters()]).norm()""",
        "fails": {'test_l2_gradient', 'test_l2_matches_weight_decay'},
    },
    'weight decay: returned as a Python float': {
        "cell": "l2_penalty",
        "hint": "Can autograd differentiate what you return? .item() gives a plain number with no link to the parameters.",
        "code": """def l2_penalty(model, lam):
    return lam / 2 * sum((p ** 2).sum().item() for p in model.parameters())""",
        "fails": {'test_l2_gradient', 'test_l2_matches_weight_decay'},
    },
    'weight decay: the mean of the squares': {
        "cell": "l2_penalty",
        "hint": "A mean divides by the number of entries: is the gradient of your penalty still lam · p for every parameter?",
        "code": """def l2_penalty(model, lam):
    return lam / 2 * torch.cat([p.flatten() for p in model.parameters()]).pow(2).mean()""",
        "fails": {'test_l2_gradient', 'test_l2_matches_weight_decay'},
    },
    'weight decay: built from detached parameters': {
        "cell": "l2_penalty",
        "hint": "A new tensor built from detached parameters is cut off from them: after backward(), does any parameter get a gradient?",
        "code": """def l2_penalty(model, lam):
    return torch.tensor(lam / 2 * sum((p.detach() ** 2).sum() for p in model.parameters()), requires_grad=True)""",
        "fails": {'test_l2_gradient', 'test_l2_matches_weight_decay'},
    },
}

DEMO = {
    "wrong": "forgot optimizer.zero_grad()",
    "scores": {"alice": 12, "bob": 0, "carol": 9},
}
