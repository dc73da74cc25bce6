"""Helpers every lesson uses: seeding and a one-line tensor summary."""
import random

import numpy as np
import torch


def set_seed(seed):
    """Seed Python's, NumPy's and torch's global generators with `seed`.

    Used by every lecture notebook so that it prints the same numbers on every run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def describe(t, name="tensor"):
    """Return a one-line summary of a tensor: name, shape, dtype and device.

    Used in lesson 1."""
    return f"{name}: shape={tuple(t.shape)}, dtype={t.dtype}, device={t.device}"
