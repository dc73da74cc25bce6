"""Linear regression from scratch: data, minibatches, model, loss and SGD. Used in lesson 2.

Convention (as in d2l): `squared_loss` returns one loss per example, the training loop sums
them before `backward()`, and `sgd` divides the summed gradient by the batch size, so each step
follows the *mean* gradient of the minibatch.
"""
import torch


def synthetic_data(w, b, n, noise=0.01, generator=None):
    """Return X (n, len(w)) ~ N(0, 1) and y = X @ w + b + N(0, noise²), shape (n, 1), float32.

    Used in lesson 2."""
    w = torch.as_tensor(w, dtype=torch.float32).reshape(-1)
    X = torch.randn(n, len(w), generator=generator)
    y = X @ w + float(b) + noise * torch.randn(n, generator=generator)
    return X, y.reshape(-1, 1)


def data_iter(batch_size, X, y, generator=None):
    """Yield (X[idx], y[idx]) minibatches of `batch_size` rows in a fresh random order; the last may be short.

    Every example appears exactly once per pass. Used in lesson 2."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    order = torch.randperm(n, generator=generator)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def linreg(X, w, b):
    """Return the linear model's predictions X @ w + b: X (n, d), w (d, 1), b (1,) -> (n, 1).

    Used in lesson 2."""
    return X @ w + b


def squared_loss(y_hat, y):
    """Return the per-example losses (ŷ - y)² / 2, shape (n,), for y_hat and y each (n,) or (n, 1).

    Sum them before backward(); `sgd` divides by the batch size. Used in lesson 2."""
    return (y_hat.reshape(-1) - y.reshape(-1)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Update each parameter in place, p -= lr · p.grad / batch_size, under no_grad; then zero p.grad.

    Used in lesson 2."""
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size
            p.grad.zero_()
