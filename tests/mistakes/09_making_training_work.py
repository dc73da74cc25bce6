"""Typical wrong answers to assignment 9 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail (plus any of `may_fail`). DEMO names the wrong
answer of the demo class's student carol, and the exact autograded scores the demo class must get.

test_repaired is graded on the outcome (accuracy on hidden spirals, grading/outcome.py): each
training mistake below is a repair that left one of train_broken's bugs in place, or chose a rate
that does not train in 300 steps. The accuracies each reaches: benchmarks/outcome_margins.py.
Predictions made with dropout still on land at 0.92-0.96 on the spirals (the worst of three below
0.95 on every stream measured, but close to it): test_predict catches that mistake, test_repaired
may or may not.
"""

_MOMENTUM = '''class MomentumSGD:
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, nesterov=False):
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay, self.nesterov = lr, momentum, weight_decay, nesterov
        self.velocities = [None] * len(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                g = p.grad + self.weight_decay * p
                if self.velocities[i] is None:
                    self.velocities[i] = g.clone()
                else:
                    self.velocities[i].mul_(self.momentum).add_(g)
                direction = g + self.momentum * self.velocities[i] if self.nesterov else self.velocities[i]
                p -= self.lr * direction'''

_INIT = '''def init_leaky_(model, slope):
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                std = math.sqrt(2.0 / ((1 + slope ** 2) * layer.in_features))
                layer.weight.normal_(0.0, std)
                layer.bias.zero_()
    return model'''

_DIAGNOSE = '''def diagnose(losses, n_classes, grad_norms):
    if any(not math.isfinite(loss) for loss in losses):
        return "nan"
    expected = math.log(n_classes)
    if abs(losses[0] - expected) > 0.5 * expected:
        return "init_loss"
    largest = max(grad_norms)
    if largest == 0 or min(grad_norms) < 1e-3 * largest:
        return "vanishing_gradients"
    if not losses[-1] < 0.9 * losses[0]:
        return "not_learning"
    return "ok"'''

_REPAIR = '''def train_repaired(X, y, epochs):
    n_classes = int(y.max()) + 1
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, n_classes))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def predict(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).argmax(dim=1)'''

_ZERO_INIT = '''    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
    optimizer ='''

MISTAKES = {
    # Exercise 1: momentum
    "momentum: the velocity is an average, (1 - momentum) · g (dampening)": {
        "cell": "momentum_sgd",
        "hint": "Follow your velocity by hand over two steps of a constant gradient: kept from the step before, decayed by momentum and added to the whole gradient, it should grow past the gradient. Does yours?",
        "code": _MOMENTUM.replace("self.velocities[i].mul_(self.momentum).add_(g)",
                                  "self.velocities[i].mul_(self.momentum).add_((1 - self.momentum) * g)"),
        "fails": {"test_momentum_sgd", "test_momentum_options"},
    },
    "momentum: no velocity kept between steps (plain SGD)": {
        "cell": "momentum_sgd",
        "hint": "Follow your velocity by hand over two steps of a constant gradient: kept from the step before, decayed by momentum and added to the whole gradient, it should grow past the gradient. Does yours?",
        "code": _MOMENTUM.replace("if self.velocities[i] is None:", "if True:"),
        "fails": {"test_momentum_sgd", "test_momentum_options"},
    },
    "momentum: one velocity shared by all parameters": {
        "cell": "momentum_sgd",
        "hint": "Does each parameter have its own velocity? Parameters of different shapes and layers must not share one.",
        "code": _MOMENTUM.replace("self.velocities[i]", "self.velocities[0]"),
        "fails": {"test_momentum_sgd", "test_momentum_options"},
    },
    "momentum: the parameter rebound (p = p - ...), not updated in place": {
        "cell": "momentum_sgd",
        "hint": "p = p − ... makes a new tensor and leaves the model's parameter unchanged: does the model see your update?",
        "code": _MOMENTUM.replace("p -= self.lr * direction", "p = p - self.lr * direction"),
        "fails": {"test_momentum_sgd", "test_momentum_options"},
    },
    "momentum: weight decay added after the velocity": {
        "cell": "momentum_sgd",
        "hint": "Where does weight decay enter? In PyTorch's algorithm it is added to the gradient before the velocity is updated.",
        "code": _MOMENTUM.replace("g = p.grad + self.weight_decay * p", "g = p.grad.clone()").replace(
            "p -= self.lr * direction", "p -= self.lr * (direction + self.weight_decay * p)"),
        "fails": {"test_momentum_options"},
    },
    "momentum: nesterov ignored": {
        "cell": "momentum_sgd",
        "hint": "Does your step change when nesterov=True? Check the step direction the exercise gives for it.",
        "code": _MOMENTUM.replace("if self.nesterov else", "if False else"),
        "fails": {"test_momentum_options"},
    },
    "momentum: nesterov's look-ahead without the gradient, momentum · v alone": {
        "cell": "momentum_sgd",
        "hint": "Re-read the Nesterov step direction in the exercise: which two terms does it add?",
        "code": _MOMENTUM.replace("g + self.momentum * self.velocities[i] if", "self.momentum * self.velocities[i] if"),
        "fails": {"test_momentum_options"},
    },
    "momentum: parameters without a gradient crash the step": {
        "cell": "momentum_sgd",
        "hint": "What does your step do with a parameter whose .grad is None? The exercise says to skip it.",
        "code": _MOMENTUM.replace("""                if p.grad is None:
                    continue
""", ""),
        "fails": {"test_momentum_options"},
    },
    "momentum: wraps torch.optim.SGD instead of writing the step": {
        "cell": "momentum_sgd",
        "hint": "The exercise asks you to write the step yourself: MomentumSGD must not use torch.optim.SGD.",
        "code": '''class MomentumSGD:
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, nesterov=False):
        self.inner = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()''',
        "fails": {"test_momentum_sgd", "test_momentum_options"},
    },
    # Exercise 2: initialisation
    "init: the ReLU's 2 / fan_in whatever the slope": {
        "cell": "init_leaky",
        "hint": "Does your standard deviation depend on the slope? Work out what a leaky ReLU does to the mean square of a symmetric input.",
        "code": _INIT.replace("(1 + slope ** 2) * layer.in_features", "layer.in_features"),
        "fails": {"test_init_weights", "test_init_depth"},
    },
    "init: 1 / fan_in (LeCun / Xavier), the ReLU's halving forgotten": {
        "cell": "init_leaky",
        "hint": "Your variance leaves out what the activation does to the mean square of its input: follow the lesson's derivation for the ReLU, then change the activation.",
        "code": _INIT.replace("2.0 / ((1 + slope ** 2) * layer.in_features)", "1.0 / layer.in_features"),
        "fails": {"test_init_weights", "test_init_depth"},
    },
    "init: (1 + slope) / 2 instead of (1 + slope²) / 2": {
        "cell": "init_leaky",
        "hint": "The negative half is multiplied by the slope before it is squared: how does the slope enter the mean square?",
        "code": _INIT.replace("(1 + slope ** 2)", "(1 + slope)"),
        "fails": {"test_init_weights", "test_init_depth"},
    },
    "init: the variance used as the standard deviation": {
        "cell": "init_leaky",
        "hint": "normal_ takes a standard deviation: is the number you give it the variance or its square root?",
        "code": _INIT.replace("std = math.sqrt(2.0 / ((1 + slope ** 2) * layer.in_features))",
                              "std = 2.0 / ((1 + slope ** 2) * layer.in_features)"),
        "fails": {"test_init_weights", "test_init_depth"},
    },
    "init: fan_out instead of fan_in": {
        "cell": "init_leaky",
        "hint": "Which size of a layer is its fan_in? It is the number of inputs, layer.in_features.",
        "code": _INIT.replace("layer.in_features", "layer.out_features"),
        "fails": {"test_init_weights"},
    },
    "init: biases left as PyTorch made them": {
        "cell": "init_leaky",
        "hint": "Does your function set every bias to zero, as the exercise asks?",
        "code": _INIT.replace("                layer.bias.zero_()\n", ""),
        "fails": {"test_init_weights"},
    },
    "init: PyTorch's default, kaiming_uniform_ with a = sqrt(5)": {
        "cell": "init_leaky",
        "hint": "PyTorch's default initialisation is not the one you derived: draw from a normal distribution with your own standard deviation.",
        "code": '''def init_leaky_(model, slope):
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5))
            nn.init.zeros_(layer.bias)
    return model''',
        "fails": {"test_init_weights", "test_init_depth"},
    },
    # Exercise 3: the checklist
    "diagnose: NaN found with x != x, infinities missed": {
        "cell": "diagnose",
        "hint": "An infinite loss counts as \"nan\" too: does your first check catch infinity as well as NaN?",
        "code": _DIAGNOSE.replace("not math.isfinite(loss)", "loss != loss"),
        "fails": {"test_diagnose_rules"},
    },
    "diagnose: the loss at initialisation compared with log10 C": {
        "cell": "diagnose",
        "hint": "Which logarithm does the cross-entropy use? ln C is the natural logarithm.",
        "code": _DIAGNOSE.replace("math.log(n_classes)", "math.log10(n_classes)"),
        "fails": {"test_diagnose_rules", "test_diagnose_runs"},
    },
    "diagnose: the ratio smallest / largest divides by zero when no gradient flows": {
        "cell": "diagnose",
        "hint": "What does your gradient check do when every norm is zero? Do not divide by the largest norm before you know it is nonzero.",
        "code": _DIAGNOSE.replace("if largest == 0 or min(grad_norms) < 1e-3 * largest:",
                                  "if min(grad_norms) / largest < 1e-3:"),
        "fails": {"test_diagnose_rules", "test_diagnose_runs"},
    },
    "diagnose: the checks in another order (learning before gradients)": {
        "cell": "diagnose",
        "hint": "Check the order of your checks against the checklist: which comes first, the gradients or whether the loss fell?",
        "code": '''def diagnose(losses, n_classes, grad_norms):
    if any(not math.isfinite(loss) for loss in losses):
        return "nan"
    expected = math.log(n_classes)
    if abs(losses[0] - expected) > 0.5 * expected:
        return "init_loss"
    if not losses[-1] < 0.9 * losses[0]:
        return "not_learning"
    largest = max(grad_norms)
    if largest == 0 or min(grad_norms) < 1e-3 * largest:
        return "vanishing_gradients"
    return "ok"''',
        "fails": {"test_diagnose_rules", "test_diagnose_runs"},
    },
    "diagnose: the loss at initialisation allowed 0.5 from ln C, not 0.5 · ln C": {
        "cell": "diagnose",
        "hint": "How far from ln C may the first loss be? The tolerance is a fraction of ln C, not a fixed amount.",
        "code": _DIAGNOSE.replace("abs(losses[0] - expected) > 0.5 * expected", "abs(losses[0] - expected) > 0.5"),
        "fails": {"test_diagnose_rules"},
    },
    "diagnose: learning judged by the smallest loss, not the last": {
        "cell": "diagnose",
        "hint": "Which loss does the not_learning item compare with the first one: the last, or the lowest?",
        "code": _DIAGNOSE.replace("if not losses[-1] < 0.9 * losses[0]:", "if not min(losses) < 0.9 * losses[0]:"),
        "fails": {"test_diagnose_rules"},
    },
    # Exercise 4: the repair
    "repair: the all-zero initialisation kept": {
        "cell": "repair",
        "hint": "Print the losses of your repair and each layer's gradient norms at the first step: check the initialisation, the learning rate and the clearing of the gradients against the lesson's checklist.",
        "code": _REPAIR.replace("    optimizer =", _ZERO_INIT, 1),
        "fails": {"test_repaired"},
    },
    "repair: a constant initialisation instead of zeros (still symmetric)": {
        "cell": "repair",
        "hint": "Print the losses of your repair and each layer's gradient norms at the first step: check the initialisation, the learning rate and the clearing of the gradients against the lesson's checklist.",
        "code": _REPAIR.replace("    optimizer =", _ZERO_INIT.replace("nn.init.zeros_(layer.weight)",
                                                                      "nn.init.constant_(layer.weight, 0.1)"), 1),
        "fails": {"test_repaired"},
    },
    "repair: lr=3.0 kept (the loss ends in NaN)": {
        "cell": "repair",
        "hint": "Print the losses of your repair and each layer's gradient norms at the first step: check the initialisation, the learning rate and the clearing of the gradients against the lesson's checklist.",
        "code": _REPAIR.replace("lr=0.2", "lr=3.0"),
        "fails": {"test_repaired"},
    },
    "repair: zero_grad still missing": {
        "cell": "repair",
        "hint": "Print the losses of your repair and each layer's gradient norms at the first step: check the initialisation, the learning rate and the clearing of the gradients against the lesson's checklist.",
        "code": _REPAIR.replace("        optimizer.zero_grad()\n", ""),
        "fails": {"test_repaired"},
    },
    "repair: a rate far too timid, lr=0.01": {
        "cell": "repair",
        "hint": "Print the losses of your repair and each layer's gradient norms at the first step: check the initialisation, the learning rate and the clearing of the gradients against the lesson's checklist.",
        "code": _REPAIR.replace("lr=0.2", "lr=0.01"),
        "fails": {"test_repaired"},
    },
    "repair: predictions made with dropout on (no model.eval())": {
        "cell": "repair",
        "hint": "Does predict give the same classes when called twice on the same points? Dropout must be off when predicting.",
        "code": _REPAIR.replace("    model.eval()\n", ""),
        "fails": {"test_predict"},
        "may_fail": {"test_repaired"},
    },
    "repair: predict returns the logits, not the classes": {
        "cell": "repair",
        "hint": "predict should return one class per point, a tensor of shape (N,), not the model's scores for every class.",
        "code": _REPAIR.replace("return model(X).argmax(dim=1)", "return model(X)"),
        "fails": {"test_predict", "test_repaired"},
    },
}

DEMO = {
    "wrong": "repair: zero_grad still missing",
    "scores": {"alice": 19, "bob": 0, "carol": 15},
}
