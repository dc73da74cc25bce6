"""Assignment 3's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released. A student's kernel gets each set's
training points with their labels and the held-out points, never the held-out points' labels.

Exercise 4 (`train_logistic`, from scratch):

* `rare`: two Gaussian classes with the identity as covariance in d = 2, 3 or 4 features, their
  means 2 apart along a random direction, their midpoint 1.5 to 2.5 away from the origin along it
  (a model without a bias cannot place its boundary there). The training set is imbalanced: 800
  negatives and 100, 50 or 25 positives (1 in 9, 17 or 33). The held-out set is balanced (2000 of
  each class, in a random order), so that its accuracy is the balanced accuracy, the mean of the
  two classes' recalls. The best boundary for it is the midpoint's plane: Φ(1) = 0.841. A model
  trained without weighting the positives places its boundary towards them, by log(n₀/n₁)/2 along
  the direction, and misses most of the rare class on the 1-in-33 set.
* `overlapping`: the same two classes, balanced (100 of each to train on, 2000 of each held out),
  scored by the Brier score of the probabilities: the best, the true probabilities', is about 0.11.
  On balanced classes a weight chosen from the labels is 1, and the probabilities stay calibrated.

Exercise 5 (`train_multilabel`, with torch.nn):

* `multilabel`: L = 3, 4 or 5 yes/no labels per point, in d = L features. Each label j is drawn
  independently with P(y_j = 1 | x) = σ(3 (u_j·x − c_j)), for a random unit direction u_j and an
  offset c_j; the points lie around a centre 2 away from the origin. A point may have any number
  of labels, none included. 300 points to train on, 2000 held out; the targets are the held-out
  labels, flattened row by row (the predictions are (n, L) tensors flattened the same way). The
  best accuracy over all labels, of the true probabilities thresholded at 0.5, is about 0.84, and
  their Brier score about 0.11.
"""
import torch

SETS = 3
N_TRAIN = 100      # balanced training points per class (overlapping)
N_TEST = 2000      # held-out points per class, in a random order
N_NEGATIVE = 800   # rare: negatives to train on
RATIOS = (8, 16, 32)   # rare: negatives per positive in set k
N_LABELED = 300    # multilabel: points to train on
SHARPNESS = 3.0    # multilabel: the true logits' scale


def _two_classes(g, k, distance, n_train_0, n_train_1):
    d = 2 + k
    u = torch.randn(d, generator=g)
    u = u / u.norm()
    along = (1.5 + torch.rand((), generator=g)) * (1 if torch.rand((), generator=g) < 0.5 else -1)
    mean0 = along * u - distance / 2 * u
    mean1 = mean0 + distance * u

    def draw(n0, n1):
        y = torch.cat([torch.zeros(n0), torch.ones(n1)])
        X = torch.randn(n0 + n1, d, generator=g) + torch.where(y[:, None] == 1, mean1, mean0)
        return X, y

    X, y = draw(n_train_0, n_train_1)
    X_test, y_test = draw(N_TEST, N_TEST)
    order = torch.randperm(len(y_test), generator=g)
    return X, y, X_test[order], y_test[order]


def rare(seed, k):
    """Hidden set k for the balanced accuracy: 800 negatives and 800 / RATIOS[k] positives to train
    on (in a random order), a balanced held-out set."""
    g = torch.Generator().manual_seed(seed)
    X, y, X_test, y_test = _two_classes(g, k, 2.0, N_NEGATIVE, N_NEGATIVE // RATIOS[k])
    order = torch.randperm(len(y), generator=g)
    return {"X": X[order], "y": y[order], "X_test": X_test}, y_test


def overlapping(seed, k):
    """Hidden set k for the probabilities: balanced classes 2 standard deviations apart, listed
    class by class (as make_classification does) (the best Brier score, of the true probabilities,
    about 0.11)."""
    g = torch.Generator().manual_seed(seed)
    X, y, X_test, y_test = _two_classes(g, k, 2.0, N_TRAIN, N_TRAIN)
    return {"X": X, "y": y, "X_test": X_test}, y_test


def multilabel(seed, k):
    """Hidden set k for exercise 5: 3 + k independent labels per point in 3 + k features."""
    g = torch.Generator().manual_seed(seed)
    d = labels = 3 + k
    U = torch.randn(d, labels, generator=g)
    U = U / U.norm(dim=0)
    centre = torch.randn(d, generator=g)
    centre = centre / centre.norm() * 2.0
    c = centre @ U + torch.randn(labels, generator=g) * 0.5

    def draw(n):
        X = torch.randn(n, d, generator=g) + centre
        Y = (torch.rand(n, labels, generator=g) < torch.sigmoid(SHARPNESS * (X @ U - c))).float()
        return X, Y

    X, Y = draw(N_LABELED)
    X_test, Y_test = draw(N_TEST)
    return {"X": X, "Y": Y, "X_test": X_test}, Y_test
