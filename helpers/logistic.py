"""Logistic regression: a stable sigmoid, accuracy, and two-class data. Used in lesson 3."""
import torch

from .classification import make_classification


def sigmoid(z):
    """Return 1 / (1 + exp(-z)) elementwise, shape of z; exp only sees -|z| <= 0, so no overflow or NaN.

    Used in lesson 3 (the lecture derives it; assignment 3 asks for it from scratch)."""
    z = torch.as_tensor(z, dtype=torch.get_default_dtype() if not torch.is_tensor(z) else None)
    # exp(-|z|) lies in (0, 1]: finite for every z. Not z.abs(): its gradient at 0 is 0, not 1.
    e = torch.exp(-torch.where(z >= 0, z, -z))
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))


def accuracy(y_hat, y, threshold=0.5):
    """Return the fraction (a float) of rows of y_hat that predict label y (n,) or (n, 1).

    y_hat (n, C) with C > 1: class scores, the prediction is the argmax of each row.
    y_hat (n,) or (n, 1): one binary output per row, predicting 1 where y_hat > threshold:
    keep 0.5 for probabilities, pass threshold=0.0 for logits (sigmoid(z) > 0.5 iff z > 0).
    Used in lessons 3 and 4."""
    y = torch.as_tensor(y).reshape(-1)
    if y_hat.dim() == 2 and y_hat.shape[1] > 1:
        predicted = y_hat.argmax(dim=1)
    else:
        predicted = (y_hat.reshape(-1) > threshold).long()
    if predicted.shape != y.shape:
        raise ValueError(f"y_hat gives {predicted.numel()} predictions for {y.numel()} labels")
    return (predicted == y.long()).float().mean().item()


def make_binary(n_per_class=100, dispersion=(3.0, 1.0), n_features=2, generator=None):
    """Return X (2·n_per_class, n_features) float32 and float labels y (2·n_per_class,) of 0. and 1.

    Two classes of `make_classification` with dispersion = (distance between the class means
    per feature, std within a class); y is float, as `nn.BCEWithLogitsLoss` wants. Used in lesson 3."""
    X, y = make_classification(n_per_class, n_features, 2, dispersion, generator=generator)
    return X, y.float()


def best_bce(X, y, steps=30):
    """Return the smallest mean binary cross-entropy any logistic model x·w + b reaches on X (n, d), y (n,).

    Newton's method in float64 from w = 0, b = 0; the classes must overlap (on separable data the
    minimum is 0, at infinite weights). Used by assignment 3's tests to judge convergence."""
    A = torch.cat([X.double(), torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    t = y.double().reshape(-1)
    theta = torch.zeros(A.shape[1], dtype=torch.float64)
    for _ in range(steps):
        p = sigmoid(A @ theta)
        gradient = A.T @ (p - t) / len(t)
        hessian = (A.T * (p * (1 - p))) @ A / len(t)
        theta = theta - torch.linalg.solve(hessian, gradient)
    z = A @ theta
    return (torch.nn.functional.softplus(z) - t * z).mean().item()
