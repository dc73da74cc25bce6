"""Assignment 4's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released.

Set k draws, from `seed`, 3,000 Fashion-MNIST images with their labels (what the student's
training function gets) and 1,400 other images without them (what the trained model predicts; the
targets are their labels), from both splits of the data set that `load_fashion_mnist` reads.
Every image of the set has its 784 pixels put in one secret order, the same for all of them: a
linear model learns exactly as well from pixels in any fixed order, while the held-out images no
longer equal, pixel for pixel, any image of the labelled files a kernel can read (so a kernel
cannot simply look their labels up there), and a function that trains on the notebook's own
X_train instead of its arguments learns nothing that applies to them.

The images travel as the data set's own bytes (uint8, a quarter of float32's size: 10 MB in each
kernel's folder instead of 41 MB); the test cell turns them into floats as load_fashion_mnist
does (`.float() / 255`), giving the same numbers."""
import torch

from helpers import load_fashion_mnist

SETS = 3
TRAIN, HELD_OUT = 3000, 1400   # the same on the excerpt (4,443 images in all) and the full data


def fashion(seed, k):
    """Hidden set k: ({"X": (3000, 784), "y": (3000,), "X_test": (1400, 784)}, the labels of X_test)."""
    X_train, y_train, X_test, y_test, _ = load_fashion_mnist(download=False)
    X, y = torch.cat([X_train, X_test]), torch.cat([y_train, y_test])
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(X), generator=g)
    pixels = torch.randperm(X.shape[1], generator=g)
    train, held = order[:TRAIN], order[TRAIN:TRAIN + HELD_OUT]
    as_bytes = X.mul(255).round_().to(torch.uint8)   # exactly the files' bytes: X is bytes / 255
    return {"X": as_bytes[train][:, pixels], "y": y[train], "X_test": as_bytes[held][:, pixels]}, y[held]
