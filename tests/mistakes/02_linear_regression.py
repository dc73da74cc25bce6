"""Typical wrong answers to assignment 2 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

MISTAKES = {
    "linreg_grads: the mean gradient (divided by n), not the summed loss's": {
        "cell": "linreg_grads",
        "hint": "L is the sum of the examples' losses, not their mean: does your gradient divide by something the sum does not?",
        "code": """def linreg_grads(X, y, w, b):
    with torch.no_grad():
        r = X @ w + b - y.reshape(-1, 1)
        return X.T @ r / len(X), r.mean(dim=0)""",
        "fails": {"test_linreg_grads"},
    },
    "linreg_grads: (n, 1) - (n,) broadcasts to (n, n)": {
        "cell": "linreg_grads",
        "hint": "Print the shape of your residual ŷ − y when y has shape (n,): ŷ is (n, 1), so what does the subtraction broadcast to?",
        "code": """def linreg_grads(X, y, w, b):
    with torch.no_grad():
        r = X @ w + b - y
        return (X.T @ r).sum(dim=1, keepdim=True), r.sum().reshape(1)""",
        "fails": {"test_linreg_grads"},
    },
    "linreg_grads: the sign flipped (y - ŷ)": {
        "cell": "linreg_grads",
        "hint": "Differentiate ½ (ŷ − y)² with respect to ŷ: which way round is the residual, and does your sign agree with autograd's?",
        "code": """def linreg_grads(X, y, w, b):
    with torch.no_grad():
        r = y.reshape(-1, 1) - (X @ w + b)
        return X.T @ r, r.sum(dim=0)""",
        "fails": {"test_linreg_grads"},
    },
    "linreg_grads: the bias left out of the residual": {
        "cell": "linreg_grads",
        "hint": "The prediction is ŷ = X w + b: does the residual you build from it include b?",
        "code": """def linreg_grads(X, y, w, b):
    with torch.no_grad():
        r = X @ w - y.reshape(-1, 1)
        return X.T @ r, r.sum(dim=0)""",
        "fails": {"test_linreg_grads"},
    },
    "linreg_grads: grad_b a 0-d scalar": {
        "cell": "linreg_grads",
        "hint": "Compare the shape of your grad_b with b's: the exercise asks for shape (1,), not a 0-d scalar.",
        "code": """def linreg_grads(X, y, w, b):
    with torch.no_grad():
        r = X @ w + b - y.reshape(-1, 1)
        return X.T @ r, r.sum()""",
        "fails": {"test_linreg_grads"},
    },
    "linreg_grads: the 1/2 differentiated wrongly (twice the gradient)": {
        "cell": "linreg_grads",
        "hint": "The ½ in the loss cancels the factor that differentiating the square brings down: compare your gradient with autograd's in the visible test.",
        "code": """def linreg_grads(X, y, w, b):
    with torch.no_grad():
        r = X @ w + b - y.reshape(-1, 1)
        return 2 * X.T @ r, 2 * r.sum(dim=0)""",
        "fails": {"test_linreg_grads"},
    },
    "linreg_grads asks autograd": {
        "cell": "linreg_grads",
        "hint": "The exercise asks for the gradient worked out by hand, with matrix operations: backward() and torch.autograd.grad are not allowed here.",
        "code": """def linreg_grads(X, y, w, b):
    w, b = w.detach().requires_grad_(), b.detach().requires_grad_()
    (((X @ w + b).reshape(-1) - y.reshape(-1)) ** 2 / 2).sum().backward()
    return w.grad, b.grad""",
        "fails": {"test_linreg_grads"},
    },
    "huber_loss without reshaping: (n, 1) - (n,) broadcasts to (n, n)": {
        "cell": "huber_loss",
        "hint": "Print the shape of y_hat − y for y_hat of shape (n, 1) and y of shape (n,): reshaping the result afterwards does not undo that broadcast.",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = (y_hat - y).abs()
    return torch.where(r <= delta, r ** 2 / 2, delta * (r - delta / 2)).reshape(-1)""",
        "fails": {"test_huber_shape", "test_huber_values", "test_train_linreg"},
    },
    "huber_loss: the linear piece without its -½ δ (a jump at δ)": {
        "cell": "huber_loss",
        "hint": "Check that your two pieces meet at r = δ with the same value: what does your linear piece give there?",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = (y_hat.reshape(-1) - y.reshape(-1)).abs()
    return torch.where(r <= delta, r ** 2 / 2, delta * r)""",
        "fails": {"test_huber_shape", "test_huber_values"},
    },
    "huber_loss: the signed error compared with δ (no abs)": {
        "cell": "huber_loss",
        "hint": "The threshold applies to the size of the error: what does your loss give for a prediction far below its label?",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = y_hat.reshape(-1) - y.reshape(-1)
    return torch.where(r <= delta, r ** 2 / 2, delta * (r - delta / 2))""",
        "fails": {"test_huber_shape", "test_huber_values"},
    },
    "huber_loss: delta ignored (always 1)": {
        "cell": "huber_loss",
        "hint": "Does your loss change when you pass another delta? Both the threshold and the linear piece depend on δ.",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = (y_hat.reshape(-1) - y.reshape(-1)).abs()
    return torch.where(r <= 1.0, r ** 2 / 2, r - 0.5)""",
        "fails": {"test_huber_values"},
    },
    "huber_loss: the quadratic piece without its ½": {
        "cell": "huber_loss",
        "hint": "Check the factor of your quadratic piece against the exercise's formula for errors up to δ.",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = (y_hat.reshape(-1) - y.reshape(-1)).abs()
    return torch.where(r <= delta, r ** 2, delta * (r - delta / 2))""",
        "fails": {"test_huber_shape", "test_huber_values"},
    },
    "huber_loss squeezes: shape () for one example": {
        "cell": "huber_loss",
        "hint": "What does squeeze() do to a batch of one example? The result must keep the shape (n,) even when n is one.",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    r = (y_hat.squeeze() - y.squeeze()).abs()
    return torch.where(r <= delta, r ** 2 / 2, delta * (r - delta / 2))""",
        "fails": {"test_huber_shape", "test_huber_values"},
    },
    "huber_loss calls nn.functional.huber_loss": {
        "cell": "huber_loss",
        "hint": "The exercise asks you to write the Huber loss yourself: nn.functional.huber_loss (and smooth_l1_loss) must not be called.",
        "code": """def huber_loss(y_hat, y, delta=1.0):
    return nn.functional.huber_loss(y_hat.reshape(-1), y.reshape(-1), reduction="none", delta=delta)""",
        "fails": {"test_huber_shape", "test_huber_values", "test_train_linreg"},
    },
    "sgd forgets to zero the gradients": {
        "cell": "sgd_momentum",
        "hint": "backward() adds to .grad: after your step, what is left in each p.grad for the next minibatch's backward to add to?",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v.mul_(momentum).add_(p.grad / batch_size)
            p -= lr * v""",
        "fails": {"test_sgd_state", "test_train_linreg"},
    },
    "sgd_momentum rebinds the velocity instead of updating it (momentum lost)": {
        "cell": "sgd_momentum",
        "hint": "v = ... inside the loop makes a new tensor and leaves the caller's velocity unchanged: does the next step see the velocity you computed?",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v = momentum * v + p.grad / batch_size
            p -= lr * v
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state", "test_train_linreg"},
    },
    "sgd_momentum with dampening: v = μ v + (1 - μ) g (an average, not a sum)": {
        "cell": "sgd_momentum",
        "hint": "Compare your velocity update with the exercise's rule: is the new gradient added as it is, or scaled first?",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v.mul_(momentum).add_((1 - momentum) * p.grad / batch_size)
            p -= lr * v
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state", "test_train_linreg"},
    },
    "sgd_momentum steps with the old velocity, then updates it": {
        "cell": "sgd_momentum",
        "hint": "Check the order of the two updates: the parameter should move by the velocity that already includes this step's gradient.",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            p -= lr * v
            v.mul_(momentum).add_(p.grad / batch_size)
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state"},
    },
    "sgd_momentum without torch.no_grad()": {
        "cell": "sgd_momentum",
        "hint": "Are your in-place updates recorded by autograd? The parameters must still be leaves that require grad after the step.",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    for p, v in zip(params, velocities):
        v.mul_(momentum).add_(p.grad / batch_size)
        p -= lr * v
        p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state", "test_train_linreg"},
    },
    "sgd_momentum does not divide by the batch size": {
        "cell": "sgd_momentum",
        "hint": "p.grad holds the gradient of the summed loss: does your step use the mean gradient g that the exercise defines?",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v.mul_(momentum).add_(p.grad)
            p -= lr * v
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state"},
        # steps batch_size (10) times too large: training still converges, to an MSE near the bar
        # (0.020 on one hidden set of the in-process secret, full marks on others)
        "may_fail": {"test_train_linreg"},
    },
    "sgd_momentum with the sign flipped (ascent)": {
        "cell": "sgd_momentum",
        "hint": "Which way should a parameter move along its velocity for the loss to go down?",
        "code": """def sgd_momentum(params, velocities, lr, batch_size, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            v.mul_(momentum).add_(p.grad / batch_size)
            p += lr * v
            p.grad.zero_()""",
        "fails": {"test_sgd_update", "test_sgd_state", "test_train_linreg"},
    },
    "train_linreg averages the loss (divides twice with sgd_momentum: undertrained)": {
        "cell": "train_linreg",
        "hint": "sgd_momentum already divides by the batch size: which reduction of the per-example losses should it receive?",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros_like(w), torch.zeros_like(b)]
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            huber_loss(X_b @ w + b, y_b).mean().backward()
            sgd_momentum([w, b], velocities, lr, len(X_b), momentum)
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg makes new zero velocities for every minibatch (momentum lost: undertrained)": {
        "cell": "train_linreg",
        "hint": "Where are your velocities created? If they start from zero at every minibatch, momentum has nothing to remember.",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            huber_loss(X_b @ w + b, y_b).sum().backward()
            sgd_momentum([w, b], [torch.zeros_like(w), torch.zeros_like(b)], lr, len(X_b), momentum)
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg takes one minibatch per epoch (next(data_iter(...)))": {
        "cell": "train_linreg",
        "hint": "How many minibatches does each of your epochs go through? An epoch should visit all the data.",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros_like(w), torch.zeros_like(b)]
    for epoch in range(num_epochs):
        X_b, y_b = next(data_iter(batch_size, X, y))
        huber_loss(X_b @ w + b, y_b).sum().backward()
        sgd_momentum([w, b], velocities, lr, len(X_b), momentum)
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg never updates the bias (sgd_momentum([w], ...))": {
        "cell": "train_linreg",
        "hint": "Which parameters does your training step update? Print b after training.",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros_like(w)]
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            huber_loss(X_b @ w + b, y_b).sum().backward()
            sgd_momentum([w], velocities, lr, len(X_b), momentum)
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg full batch, told the batch holds 1 row (steps n times too large)": {
        "cell": "train_linreg",
        "hint": "Which batch size do you pass to sgd_momentum? It should be the number of rows in that minibatch.",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=1000, num_epochs=50, momentum=0.9):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros_like(w), torch.zeros_like(b)]
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            huber_loss(X_b @ w + b, y_b).sum().backward()
            sgd_momentum([w, b], velocities, lr, 1, momentum)
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg writes its own update instead of calling sgd_momentum": {
        "cell": "train_linreg",
        "hint": "The exercise asks train_linreg to take each step with your sgd_momentum: call it rather than writing the update again.",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    velocities = [torch.zeros_like(w), torch.zeros_like(b)]
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            huber_loss(X_b @ w + b, y_b).sum().backward()
            with torch.no_grad():
                for p, v in zip((w, b), velocities):
                    v.mul_(momentum).add_(p.grad / len(X_b))
                    p -= lr * v
                    p.grad.zero_()
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_linreg uses torch.optim.SGD": {
        "cell": "train_linreg",
        "hint": "train_linreg must train with your own huber_loss and sgd_momentum: torch.optim.SGD is not allowed in it.",
        "code": """def train_linreg(X, y, lr=0.01, batch_size=10, num_epochs=3, momentum=0.9):
    w = torch.normal(0.0, 0.01, size=(X.shape[1], 1)).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr, momentum=momentum)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            optimizer.zero_grad()
            huber_loss(X_b @ w + b, y_b).mean().backward()
            optimizer.step()
    return w.detach(), b.detach()""",
        "fails": {"test_train_linreg"},
    },
    "train_nn does not reshape y: MSELoss broadcasts to (n, n)": {
        "cell": "train_nn",
        "hint": "Compare the shapes of your labels in each minibatch and of the model's output: does nn.MSELoss warn about broadcasting?",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn forgets optimizer.zero_grad()": {
        "cell": "train_nn",
        "hint": "backward() adds to the gradients already there: what clears them before each minibatch?",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn steps before backward (optimizer.step() then loss.backward(): never learns)": {
        "cell": "train_nn",
        "hint": "Check the order of the calls in each minibatch: step() uses the gradients that backward() has already computed.",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            optimizer.zero_grad()
            optimizer.step()
            loss_fn(net(X_b), y_b).backward()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn without the bias (nn.Linear(d, 1, bias=False))": {
        "cell": "train_nn",
        "hint": "Does your model have a bias? Without one, the fitted plane must pass through the origin.",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1, bias=False)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    "train_nn ignores its lr: a tutorial's lr=1e-3 (undertrained)": {
        "cell": "train_nn",
        "hint": "Does your optimiser use the lr that train_nn is given?",
        "code": """def train_nn(X, y, lr=0.03, batch_size=10, num_epochs=3):
    net = nn.Linear(X.shape[1], 1)
    loader = DataLoader(TensorDataset(X, y.reshape(-1, 1)), batch_size=batch_size, shuffle=True)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=1e-3)
    for epoch in range(num_epochs):
        for X_b, y_b in loader:
            loss = loss_fn(net(X_b), y_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net""",
        "fails": {"test_train_nn"},
    },
    'bug hunt: only the shape fixed (gradients still accumulate)': {
        "cell": "fixed_fit",
        "hint": "Print w.grad in two successive epochs: does it hold this epoch's gradient, or the sum of all the epochs so far?",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: only the gradients reset (the loss still broadcasts)': {
        "cell": "fixed_fit",
        "hint": "Print the shape of y_hat − y when y has shape (n,): is it one error per example?",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: losses kept as tensors': {
        "cell": "fixed_fit",
        "hint": "Look at type(losses[0]): the exercise asks for Python floats.",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss)
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses'},
    },
    'bug hunt: predictions flattened, so y of shape (n, 1) broadcasts': {
        "cell": "fixed_fit",
        "hint": "Your fixed_fit must work for y of shape (n, 1) too: what shape is your error then?",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat.reshape(-1) - y) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: gradients zeroed between backward and the update': {
        "cell": "fixed_fit",
        "hint": "Where in the epoch do you zero the gradients? The update needs the gradient that backward() has just computed.",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        w.grad.zero_()
        b.grad.zero_()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: the loss summed instead of averaged': {
        "cell": "fixed_fit",
        "hint": "Is your loss the mean of ½ (ŷ − y)² over the examples, as in broken_fit? Nothing but the three bugs should change.",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).sum()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses', 'test_fixed_fit_recovers'},
    },
    'bug hunt: the loss recorded after the update': {
        "cell": "fixed_fit",
        "hint": "Each epoch's loss should be the one computed before its update: which w and b does the loss you record use?",
        "code": """def fixed_fit(X, y, lr=0.1, num_epochs=100):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y.reshape(-1, 1)) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(((X @ w + b - y.reshape(-1, 1)) ** 2 / 2).mean().item())
    return w.detach(), b.detach(), losses""",
        "fails": {'test_fixed_fit_losses'},
    },
}

DEMO = {
    "wrong": "sgd forgets to zero the gradients",
    "scores": {"alice": 19, "bob": 0, "carol": 13},
}
