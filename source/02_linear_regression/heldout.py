"""Assignment 2's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released. A student's kernel gets each set's
training rows with their labels and the held-out rows, never the held-out rows' labels."""
import torch

from helpers import synthetic_data

SETS = 3
NOISE = 0.1          # the labels' noise: its variance, 0.01, is the MSE of the true model
FEATURES = (2, 3, 5)  # features of hidden set k


def regression(seed, k):
    """Hidden set k: labels y = X w + b + N(0, 0.1²) for FEATURES[k] features, with w and b from
    `seed` (each of magnitude 1 to 4, either sign, so that a model without its bias or left
    untrained is far off); 1000 training rows with their labels (shape (1000, 1), or (1000,) for
    set 1), and 2000 held-out rows (the targets: their labels)."""
    g = torch.Generator().manual_seed(seed)
    d = FEATURES[k]
    signs = torch.randint(0, 2, (d + 1,), generator=g) * 2.0 - 1.0
    params = signs * (1.0 + 3.0 * torch.rand(d + 1, generator=g))
    w, b = params[:d], float(params[d])
    X, y = synthetic_data(w, b, 1000, noise=NOISE, generator=g)
    X_test, y_test = synthetic_data(w, b, 2000, noise=NOISE, generator=g)
    return {"X": X, "y": y.reshape(-1) if k == 1 else y, "X_test": X_test}, y_test
