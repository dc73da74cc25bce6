"""helpers: importing does no work; set_seed and describe."""
import random
import subprocess
import sys

import numpy as np
import torch

import helpers


def test_import_does_no_work():
    code = ("import random, torch, matplotlib; s = torch.get_rng_state().clone(); r = random.getstate(); "
            "style = dict(matplotlib.rcParams); import helpers; "
            "assert torch.equal(s, torch.get_rng_state()) and r == random.getstate(); "
            "assert dict(matplotlib.rcParams) == style; print('clean')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "clean"


def test_set_seed_repeats_every_generator():
    helpers.set_seed(7)
    first = (random.random(), np.random.rand(), torch.rand(3).tolist())
    helpers.set_seed(7)
    assert (random.random(), np.random.rand(), torch.rand(3).tolist()) == first
    helpers.set_seed(8)
    assert torch.rand(3).tolist() != first[2]


def test_describe():
    assert helpers.describe(torch.zeros(2, 3), "M") == "M: shape=(2, 3), dtype=torch.float32, device=cpu"
