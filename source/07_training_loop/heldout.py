"""Assignment 7's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released. A student's kernel gets each set's
training rows with their species and the held-out rows, never the held-out rows' species."""
import torch
from sklearn.datasets import load_iris

# The test cell decides on the accuracy averaged over the sets (over="mean"): one split's 60 rows are
# too few to grade alone (a correct model scores from 0.88 to 1.0 on a single split).
SETS = 10
TEST_PER_CLASS = 20


def iris(seed, k):
    """Hidden set k: a stratified split of iris drawn from `seed`: 30 training rows per species with
    their species, and 20 held-out rows per species in a random order (the targets: their species).
    The rows are iris's raw measurements; the test cell standardises them with the training rows'."""
    g = torch.Generator().manual_seed(seed)
    data = load_iris()
    X, y = torch.tensor(data.data, dtype=torch.float32), torch.tensor(data.target, dtype=torch.int64)
    train, test = [], []
    for c in range(3):
        rows = torch.nonzero(y == c).flatten()
        rows = rows[torch.randperm(len(rows), generator=g)]
        test.append(rows[:TEST_PER_CLASS])
        train.append(rows[TEST_PER_CLASS:])
    train, test = torch.cat(train), torch.cat(test)
    train, test = train[torch.randperm(len(train), generator=g)], test[torch.randperm(len(test), generator=g)]
    return {"X": X[train], "y": y[train], "X_test": X[test]}, y[test]
