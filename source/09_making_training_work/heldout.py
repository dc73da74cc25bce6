"""Assignment 9's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released. A student's kernel gets each set's
training points with their classes and the held-out points, never the held-out points' classes."""
import torch

from helpers import make_spiral

SETS = 3


def spiral(seed, k):
    """Hidden set k: a spiral of 3 + k arms from `seed`, 100 training points per arm with their
    classes, and 500 held-out points per arm in a random order (the targets: their classes)."""
    g = torch.Generator().manual_seed(seed)
    X, y = make_spiral(100, 3 + k, generator=g)
    X_test, y_test = make_spiral(500, 3 + k, generator=g)
    order = torch.randperm(len(y_test), generator=g)
    return {"X": X, "y": y, "X_test": X_test[order]}, y_test[order]
