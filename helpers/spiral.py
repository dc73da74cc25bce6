"""The spiral data set of the source lab (after NYU's deep-learning course). Used in lesson 5."""
import math

import torch


def make_spiral(n_per_class=1000, n_classes=4, noise=0.2, generator=None):
    """Return X (n_classes·n_per_class, 2) float32 and y (same length,) int64: a spiral, one arm per class.

    Point i of class c has radius t_i = i / (n_per_class - 1) (linspace(0, 1)) and angle
    linspace(2πc/C, 2π(c + 2)/C)_i + N(0, noise²), and sits at t_i · (sin(angle), cos(angle)):
    the source lab's formula, computed for all points at once instead of in a Python loop.
    Rows come class by class. Used in lesson 5."""
    if n_per_class < 1 or n_classes < 2:
        raise ValueError("need n_per_class >= 1 and n_classes >= 2")
    t = torch.linspace(0, 1, n_per_class)                                     # (N,)
    c = torch.arange(n_classes, dtype=torch.float32).unsqueeze(1)              # (C, 1)
    start, end = 2 * math.pi * c / n_classes, 2 * math.pi * (c + 2) / n_classes
    angle = start + (end - start) * t                                          # (C, N)
    angle = angle + torch.randn(n_classes, n_per_class, generator=generator) * noise
    X = t.unsqueeze(1) * torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1)   # (C, N, 2)
    y = torch.arange(n_classes).repeat_interleave(n_per_class)
    return X.reshape(-1, 2), y
