"""Lectures print their committed numbers whatever torch's thread count.

`make test` runs the suite with one torch thread per process; a student's kernel uses torch's
default, one thread per core. These lectures train models, whose results depend on the order in
which sums are added, so each is re-run here with two threads and compared with its committed
outputs (nbval). `make test` runs this file on its own, after the suite, so that the two threads
do not compete with the suite's workers for the CI machine's two cores (marker `threads`).
"""
import os
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.threads
# The lectures whose numbers moved with two threads (run on every lecture) until they pinned one, and
# lesson 9, which trains models too and pinned one thread from the start.
LECTURES = ["04_softmax_regression.ipynb", "05_spiral_mlp.ipynb", "09_making_training_work.ipynb"]


@pytest.mark.parametrize("lecture", LECTURES)
def test_lecture_prints_committed_numbers_with_two_threads(lecture):
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                             f"notebooks/{lecture}"], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
