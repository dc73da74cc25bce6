"""Typical wrong answers to assignment 4 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

SOFTMAX_TESTS = {"test_softmax_rows", "test_softmax_stable", "test_softmax_matches"}
CE_TESTS = {"test_ce_value", "test_ce_stable"}

MISTAKES = {
    "naive softmax: exp overflows": {
        "cell": "softmax",
        "hint": "What does exp give in float32 for very large or very negative logits? Subtract from each slice its own maximum along dim, as the exercise says, before exp.",
        "code": """def softmax(logits, dim):
    e = logits.exp()
    return e / e.sum(dim=dim, keepdim=True)""",
        "fails": {"test_softmax_stable"},
    },
    "softmax always over dim 1 (the lecture's rows), dim ignored": {
        "cell": "softmax",
        "hint": "Does your function use its dim argument in every reduction? Try a three-dimensional tensor with dim=0 and check which dimension sums to one.",
        "code": """def softmax(logits, dim):
    e = (logits - logits.max(dim=1, keepdim=True).values).exp()
    return e / e.sum(dim=1, keepdim=True)""",
        "fails": SOFTMAX_TESTS,
    },
    "softmax always over the last dim": {
        "cell": "softmax",
        "hint": "Does your function use its dim argument in every reduction? Try a dim other than the last and check which dimension sums to one.",
        "code": """def softmax(logits, dim):
    e = (logits - logits.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)""",
        "fails": SOFTMAX_TESTS,
    },
    "subtracts the global max, not each slice's": {
        "cell": "softmax",
        "hint": "What does exp give in float32 for very large or very negative logits? Subtract from each slice its own maximum along dim, as the exercise says, before exp.",
        "code": """def softmax(logits, dim):
    e = (logits - logits.max()).exp()
    return e / e.sum(dim=dim, keepdim=True)""",
        "fails": {"test_softmax_stable"},
    },
    "max along dim without keepdim": {
        "cell": "softmax",
        "hint": "Print the shape of your maximum along dim: does it broadcast back against the logits the way you intend? Look at keepdim.",
        "code": """def softmax(logits, dim):
    e = (logits - logits.max(dim=dim).values).exp()
    return e / e.sum(dim=dim, keepdim=True)""",
        "fails": SOFTMAX_TESTS,
    },
    "softmax divides by the sum of the whole tensor": {
        "cell": "softmax",
        "hint": "Each slice along dim must sum to one on its own: what does your denominator sum over?",
        "code": """def softmax(logits, dim):
    e = (logits - logits.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum()""",
        "fails": SOFTMAX_TESTS,
    },
    "softmax calls torch.softmax": {
        "cell": "softmax",
        "hint": "The exercise asks you to write softmax yourself: torch.softmax and its relatives must not be called.",
        "code": """def softmax(logits, dim):
    return torch.softmax(logits, dim=dim)""",
        "fails": SOFTMAX_TESTS,
    },
    "cross-entropy: sum instead of mean": {
        "cell": "cross_entropy",
        "hint": "The loss is averaged over the batch: does yours grow with the number of examples?",
        "code": """def cross_entropy(logits, y, label_smoothing):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    picked = log_probs.gather(1, y.unsqueeze(1)).squeeze(1)
    return -((1 - label_smoothing) * picked + label_smoothing * log_probs.mean(dim=1)).sum()""",
        "fails": CE_TESTS,
    },
    "cross-entropy: label_smoothing ignored (the lecture's loss)": {
        "cell": "cross_entropy",
        "hint": "Does your loss change when label_smoothing changes? Compare it with F.cross_entropy at a nonzero ε.",
        "code": """def cross_entropy(logits, y, label_smoothing):
    top = logits.max(dim=1, keepdim=True).values
    log_sum_exp = top.squeeze(1) + (logits - top).exp().sum(dim=1).log()
    return (log_sum_exp - logits.gather(1, y.unsqueeze(1)).squeeze(1)).mean()""",
        "fails": CE_TESTS,
    },
    "cross-entropy: ε spread over the C - 1 other classes only": {
        "cell": "cross_entropy",
        "hint": "Re-read how the smoothed target spreads ε: over all C classes, the label's own class included.",
        "code": """def cross_entropy(logits, y, label_smoothing):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    C = logits.shape[1]
    q = torch.full_like(log_probs, label_smoothing / (C - 1) if C > 1 else 0.0)
    q.scatter_(1, y.unsqueeze(1), 1 - label_smoothing)
    return -(q * log_probs).sum(dim=1).mean()""",
        "fails": CE_TESTS,
    },
    "cross-entropy: the smoothed target mixed into the probability, -log((1 - ε) p_y + ε / C)": {
        "cell": "cross_entropy",
        "hint": "The loss is the cross-entropy against the smoothed target, −Σ q_c log p_c: mix the log-probabilities, not the probabilities inside one log.",
        "code": """def cross_entropy(logits, y, label_smoothing):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    p_y = log_probs.gather(1, y.unsqueeze(1)).squeeze(1).exp()
    C = logits.shape[1]
    return -torch.log((1 - label_smoothing) * p_y + label_smoothing / C).mean()""",
        "fails": CE_TESTS,
    },
    "cross-entropy: labels off by one": {
        "cell": "cross_entropy",
        "hint": "The labels are already indices into the classes: which column of the logits does your code pick for each example?",
        "code": """def cross_entropy(logits, y, label_smoothing):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    picked = log_probs.gather(1, (y - 1).unsqueeze(1)).squeeze(1)
    return -((1 - label_smoothing) * picked + label_smoothing * log_probs.mean(dim=1)).mean()""",
        "fails": CE_TESTS,
    },
    "cross-entropy: log of a naive softmax (probabilities underflow to 0, log 0 = -inf)": {
        "cell": "cross_entropy",
        "hint": "A probability that underflows to zero has log −inf: write −log p in the log-sum-exp form instead of taking the log of a softmax.",
        "code": """def cross_entropy(logits, y, label_smoothing):
    e = logits.exp()
    log_probs = (e / e.sum(dim=1, keepdim=True)).log()
    picked = log_probs.gather(1, y.unsqueeze(1)).squeeze(1)
    return -((1 - label_smoothing) * picked + label_smoothing * log_probs.mean(dim=1)).mean()""",
        "fails": CE_TESTS,
    },
    "cross-entropy calls F.cross_entropy": {
        "cell": "cross_entropy",
        "hint": "The exercise asks for the loss from scratch: F.cross_entropy, F.nll_loss, log_softmax and nn.CrossEntropyLoss must not be called.",
        "code": """def cross_entropy(logits, y, label_smoothing):
    return F.cross_entropy(logits, y, label_smoothing=label_smoothing)""",
        "fails": CE_TESTS,
    },
    "cross-entropy: the value rebuilt as a new tensor (autograd cannot differentiate it)": {
        "cell": "cross_entropy",
        "hint": "Can autograd differentiate what you return? A new tensor made from loss.item() is cut off from the logits.",
        "code": """def cross_entropy(logits, y, label_smoothing):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    picked = log_probs.gather(1, y.unsqueeze(1)).squeeze(1)
    loss = -((1 - label_smoothing) * picked + label_smoothing * log_probs.mean(dim=1)).mean()
    return torch.tensor(loss.item())""",
        "fails": {"test_ce_value"},
    },
    "top-k: topk over dim 0 (the examples)": {
        "cell": "top_k_accuracy",
        "hint": "Along which dimension do you take the k largest logits? Each row is one example, with its classes along the columns.",
        "code": """def top_k_accuracy(logits, y, k):
    top = logits.topk(k, dim=0).indices.T
    return (top == y.unsqueeze(1)[: len(top)]).any(dim=1).float().mean().item()""",
        "fails": {"test_top_k_accuracy"},
    },
    "top-k: the k smallest logits": {
        "cell": "top_k_accuracy",
        "hint": "Which end of each row does your topk take: the largest logits or the smallest?",
        "code": """def top_k_accuracy(logits, y, k):
    top = logits.topk(k, dim=1, largest=False).indices
    return (top == y.unsqueeze(1)).any(dim=1).float().mean().item()""",
        "fails": {"test_top_k_accuracy"},
    },
    "top-k: k ignored (top-1 accuracy)": {
        "cell": "top_k_accuracy",
        "hint": "Does your result change with k? A row counts as right when its label is among its k largest logits.",
        "code": """def top_k_accuracy(logits, y, k):
    return (logits.argmax(dim=1) == y).float().mean().item()""",
        "fails": {"test_top_k_accuracy"},
    },
    "top-k: rank off by one (label counted with k classes above it)": {
        "cell": "top_k_accuracy",
        "hint": "Count carefully: a label with exactly k logits above it is not among the k largest. Try k = 1 by hand.",
        "code": """def top_k_accuracy(logits, y, k):
    above = (logits > logits.gather(1, y.unsqueeze(1))).sum(dim=1)
    return (above <= k).float().mean().item()""",
        "fails": {"test_top_k_accuracy"},
    },
    "top-k: count instead of fraction": {
        "cell": "top_k_accuracy",
        "hint": "The exercise asks for the fraction of rows, not their number: does your result lie between zero and one?",
        "code": """def top_k_accuracy(logits, y, k):
    top = logits.topk(k, dim=1).indices
    return float((top == y.unsqueeze(1)).any(dim=1).sum())""",
        "fails": {"test_top_k_accuracy"},
    },
    "top-k: a 0-d tensor instead of a float": {
        "cell": "top_k_accuracy",
        "hint": "Check the type of what you return: the exercise asks for a Python float, not a tensor.",
        "code": """def top_k_accuracy(logits, y, k):
    top = logits.topk(k, dim=1).indices
    return (top == y.unsqueeze(1)).any(dim=1).float().mean()""",
        "fails": {"test_top_k_accuracy"},
    },
    "sgd_step forgets to zero the gradients": {
        "cell": "sgd_step",
        "hint": "backward() adds to .grad: what does the second of two steps in a row use as its gradient?",
        "code": """def sgd_step(W, b, X, y, lr, loss_fn):
    loss = loss_fn(X @ W + b, y)
    loss.backward()
    with torch.no_grad():
        W -= lr * W.grad
        b -= lr * b.grad
    return loss.item()""",
        "fails": {"test_sgd_zero_grad"},
    },
    "sgd_step rebinds W instead of updating it in place": {
        "cell": "sgd_step",
        "hint": "W = ... inside the function makes a new local tensor and the caller's W never changes: update W and b in place, under torch.no_grad().",
        "code": """def sgd_step(W, b, X, y, lr, loss_fn):
    loss = loss_fn(X @ W + b, y)
    loss.backward()
    W = (W - lr * W.grad).detach().requires_grad_(True)
    b = (b - lr * b.grad).detach().requires_grad_(True)
    return loss.item()""",
        "fails": {"test_sgd_update", "test_sgd_zero_grad"},
    },
    "sgd_step returns the loss tensor": {
        "cell": "sgd_step",
        "hint": "Check the type of what sgd_step returns: the exercise asks for the loss as a Python float.",
        "code": """def sgd_step(W, b, X, y, lr, loss_fn):
    loss = loss_fn(X @ W + b, y)
    loss.backward()
    with torch.no_grad():
        W -= lr * W.grad
        b -= lr * b.grad
    W.grad = None
    b.grad = None
    return loss""",
        "fails": {"test_sgd_update"},
    },
    # --- train_softmax_regression and the learning rate: graded on held-out images ----------
    # (benchmarks/outcome_margins.py). Measured and not listed: softmax before the loss (a mean
    # accuracy of 0.70-0.77 over the hidden sets: a share of the points, on some secrets nearly
    # all); no shuffling (as good as shuffling: the hidden sets come in a random order); a
    # constant rate (about 0.80 at 0.1, full marks or nearly; erratic at 0.5, 0.57-0.80 per set,
    # lesson 4's reason for the decay).
    "training: one pass, ignoring epochs": {
        "cell": "train_softmax_regression",
        "hint": "How many passes over the data does your function make? It takes an epochs argument.",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(X.shape[1], 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    batches = torch.randperm(len(X)).split(batch_size)
    for step, idx in enumerate(batches):
        optimizer.param_groups[0]["lr"] = lr * (1 - step / len(batches))
        loss = F.cross_entropy(model(X[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model""",
        "fails": {"test_train_accuracy"},   # a mean of 0.737-0.766 over the hidden sets, under 0.78
        # the hidden part of test_train_model (5 steps on 230 images) reaches its own-data bar of
        # 0.6 in about 4 random streams of 10: measured 0.42-0.70 over 40 (CI met one where it did)
        "may_fail": {"test_train_model"},
    },
    "training: forgets optimizer.step()": {
        "cell": "train_softmax_regression",
        "hint": "Print the loss over the epochs: does it fall? Check which loss you train with, that every step updates the weights, and the learning rate at each step.",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(X.shape[1], 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
    return model""",
        "fails": {"test_train_model", "test_train_accuracy"},
    },
    "training: mean squared error on one-hot labels (diverges at these rates)": {
        "cell": "train_softmax_regression",
        "hint": "Print the loss over the epochs: does it fall? Check which loss you train with, that every step updates the weights, and the learning rate at each step.",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(X.shape[1], 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    total = epochs * ((len(X) + batch_size - 1) // batch_size)
    step = 0
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            optimizer.param_groups[0]["lr"] = lr * (1 - step / total)
            step += 1
            loss = F.mse_loss(model(X[idx]), F.one_hot(y[idx], 10).float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model""",
        "fails": {"test_train_model", "test_train_accuracy"},
    },
    "training: returns the model followed by a Softmax": {
        "cell": "train_softmax_regression",
        "hint": "The exercise asks for the trained nn.Linear layer itself, not a model that contains it.",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(X.shape[1], 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    total = epochs * ((len(X) + batch_size - 1) // batch_size)
    step = 0
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            optimizer.param_groups[0]["lr"] = lr * (1 - step / total)
            step += 1
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return nn.Sequential(model, nn.Softmax(dim=1))""",
        "fails": {"test_train_model", "test_train_accuracy"},
    },
    "training: the schedule's total forgets the epochs (the rate turns negative after one)": {
        "cell": "train_softmax_regression",
        "hint": "Print the loss over the epochs: does it fall? Check which loss you train with, that every step updates the weights, and the learning rate at each step.",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(X.shape[1], 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    total = (len(X) + batch_size - 1) // batch_size
    step = 0
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            optimizer.param_groups[0]["lr"] = lr * (1 - step / total)
            step += 1
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model""",
        "fails": {"test_train_model", "test_train_accuracy"},
    },
    "training: trains on the notebook's X_train, y_train instead of its arguments": {
        "cell": "train_softmax_regression",
        "hint": "Which data does your function train on? It must use the X and y it is given, not the notebook's variables.",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    model = nn.Linear(784, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    total = epochs * ((len(X_train) + batch_size - 1) // batch_size)
    step = 0
    for epoch in range(epochs):
        for idx in torch.randperm(len(X_train)).split(batch_size):
            optimizer.param_groups[0]["lr"] = lr * (1 - step / total)
            step += 1
            loss = F.cross_entropy(model(X_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model""",
        "fails": {"test_train_accuracy"},
    },
    "training: a debugging slice left in, only the first 300 images": {
        "cell": "train_softmax_regression",
        "hint": "Does your function train on all the images it is given? Look for a slice left over from trying it out.",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    X, y = X[:300], y[:300]   # quicker while trying it out
    model = nn.Linear(784, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    total = epochs * ((len(X) + batch_size - 1) // batch_size)
    step = 0
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            optimizer.param_groups[0]["lr"] = lr * (1 - step / total)
            step += 1
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model""",
        "fails": {"test_train_accuracy"},
    },
    "training: standardises X in place": {
        "cell": "train_softmax_regression",
        "hint": "The exercise asks you to leave X and y unchanged: does anything in your function modify X in place?",
        "code": """def train_softmax_regression(X, y, lr, epochs=10, batch_size=64):
    X -= X.mean()
    X /= X.std()
    model = nn.Linear(784, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    total = epochs * ((len(X) + batch_size - 1) // batch_size)
    step = 0
    for epoch in range(epochs):
        for idx in torch.randperm(len(X)).split(batch_size):
            optimizer.param_groups[0]["lr"] = lr * (1 - step / total)
            step += 1
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model""",
        "fails": {"test_train_model", "test_train_accuracy"},
    },
    "learning rate: the candidate with the lowest validation accuracy (min for max)": {
        "cell": "choose_learning_rate",
        "hint": "Check how you pick the rate from the validation accuracies: is the best one the highest or the lowest?",
        "code": """order = torch.randperm(len(X_train))
fit, val = order[700:], order[:700]
validation_accuracy = {}
for rate in (0.01, 0.1, 0.5, 2.0):
    model = train_softmax_regression(X_train[fit], y_train[fit], lr=rate)
    with torch.no_grad():
        validation_accuracy[rate] = (model(X_train[val]).argmax(dim=1) == y_train[val]).float().mean().item()
    print(f"learning rate {rate}: validation accuracy {validation_accuracy[rate]:.3f}")
learning_rate = min(validation_accuracy, key=validation_accuracy.get)""",
        "fails": {"test_train_accuracy"},
    },
    "learning rate: a timid 0.001, not checked on validation data": {
        "cell": "choose_learning_rate",
        "hint": "Choose the learning rate on a validation split, as the exercise describes: try rates over a wide range and print each one's accuracy.",
        "code": """learning_rate = 0.001""",
        "fails": {"test_train_accuracy"},
    },
    "sanity: the zero model's loss as 1/C": {
        "cell": "sanity_numbers",
        "hint": "The cross-entropy of an example is minus the log of its label's probability: did you take the log?",
        "code": """import math


def zero_model_loss(num_classes):
    return 1.0 / num_classes


def zero_model_bias_grad(y, num_classes):
    return 1.0 / num_classes - torch.bincount(y, minlength=num_classes).float() / len(y)


def best_constant_loss(y, num_classes):
    f = torch.bincount(y, minlength=num_classes).double() / len(y)
    f = f[f > 0]
    return float(-(f * f.log()).sum())""",
        "fails": {'test_zero_model'},
    },
    "sanity: the zero model's loss in log base 10": {
        "cell": "sanity_numbers",
        "hint": "Which logarithm does the cross-entropy use? Compare your answer with F.cross_entropy of zero logits.",
        "code": """import math


def zero_model_loss(num_classes):
    return math.log10(num_classes)


def zero_model_bias_grad(y, num_classes):
    return 1.0 / num_classes - torch.bincount(y, minlength=num_classes).float() / len(y)


def best_constant_loss(y, num_classes):
    f = torch.bincount(y, minlength=num_classes).double() / len(y)
    f = f[f > 0]
    return float(-(f * f.log()).sum())""",
        "fails": {'test_zero_model'},
    },
    'sanity: bias gradient with the sign flipped': {
        "cell": "sanity_numbers",
        "hint": "Check your sign against autograd's: is the gradient with respect to a logit the predicted probability minus the target, or the other way round?",
        "code": """import math


def zero_model_loss(num_classes):
    return math.log(num_classes)


def zero_model_bias_grad(y, num_classes):
    return torch.bincount(y, minlength=num_classes).float() / len(y) - 1.0 / num_classes


def best_constant_loss(y, num_classes):
    f = torch.bincount(y, minlength=num_classes).double() / len(y)
    f = f[f > 0]
    return float(-(f * f.log()).sum())""",
        "fails": {'test_zero_model'},
    },
    'sanity: bias gradient from counts, not frequencies': {
        "cell": "sanity_numbers",
        "hint": "The loss is a mean over the examples: does your gradient grow with the number of labels, or depend only on each class's share?",
        "code": """import math


def zero_model_loss(num_classes):
    return math.log(num_classes)


def zero_model_bias_grad(y, num_classes):
    return 1.0 - torch.bincount(y, minlength=num_classes).float()


def best_constant_loss(y, num_classes):
    f = torch.bincount(y, minlength=num_classes).double() / len(y)
    f = f[f > 0]
    return float(-(f * f.log()).sum())""",
        "fails": {'test_zero_model'},
    },
    'sanity: best constant loss taken as log C': {
        "cell": "sanity_numbers",
        "hint": "A model that ignores its input can still learn how often each class occurs: does your answer change when the labels are imbalanced?",
        "code": """import math


def zero_model_loss(num_classes):
    return math.log(num_classes)


def zero_model_bias_grad(y, num_classes):
    return 1.0 / num_classes - torch.bincount(y, minlength=num_classes).float() / len(y)


def best_constant_loss(y, num_classes):
    return math.log(num_classes)""",
        "fails": {'test_best_constant_loss'},
    },
    'sanity: 0 log 0 left as NaN for absent classes': {
        "cell": "sanity_numbers",
        "hint": "What does your function give when a class never occurs in y? Its term f log f should count as zero.",
        "code": """import math


def zero_model_loss(num_classes):
    return math.log(num_classes)


def zero_model_bias_grad(y, num_classes):
    return 1.0 / num_classes - torch.bincount(y, minlength=num_classes).float() / len(y)


def best_constant_loss(y, num_classes):
    f = torch.bincount(y, minlength=num_classes).double() / len(y)
    return float(-(f * f.log()).sum())""",
        "fails": {'test_best_constant_loss'},
    },
    'sanity: best constant loss in bits': {
        "cell": "sanity_numbers",
        "hint": "Which logarithm does the cross-entropy use? Your answer should be in the same units as F.cross_entropy's.",
        "code": """import math


def zero_model_loss(num_classes):
    return math.log(num_classes)


def zero_model_bias_grad(y, num_classes):
    return 1.0 / num_classes - torch.bincount(y, minlength=num_classes).float() / len(y)


def best_constant_loss(y, num_classes):
    f = torch.bincount(y, minlength=num_classes).double() / len(y)
    f = f[f > 0]
    return float(-(f * f.log2()).sum())""",
        "fails": {'test_best_constant_loss'},
    },
    'sanity: best constant loss over the classes, not weighted by frequency': {
        "cell": "sanity_numbers",
        "hint": "The loss is a mean over the examples: each class's log-probability should count as often as that class occurs.",
        "code": """import math


def zero_model_loss(num_classes):
    return math.log(num_classes)


def zero_model_bias_grad(y, num_classes):
    return 1.0 / num_classes - torch.bincount(y, minlength=num_classes).float() / len(y)


def best_constant_loss(y, num_classes):
    f = torch.bincount(y, minlength=num_classes).double() / len(y)
    f = f[f > 0]
    return float(-f.log().mean())""",
        "fails": {'test_best_constant_loss'},
    },
}

DEMO = {
    "wrong": "naive softmax: exp overflows",
    "scores": {"alice": 20, "bob": 0, "carol": 18},
}
