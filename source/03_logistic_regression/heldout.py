"""Assignment 3's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released. A student's kernel gets each set's
training points with their labels and the held-out points, never the held-out points' labels.

Each set is two Gaussian classes with the identity as covariance in d = 2, 3 or 4 features, their
means `distance` apart along a random direction, their midpoint 1.5 to 2.5 away from the origin
along that direction (a model without a bias cannot place its boundary there), plus a random offset
across it. The best possible classifier is logistic: P(class 1 | x) = σ(distance·(u·x - c)) for
the unit direction u and the midpoint's coordinate c along it; its accuracy is Φ(distance / 2).
"""
import torch

SETS = 3
N_TRAIN = 100      # training points per class, listed class by class (as make_classification does)
N_TEST = 2000      # held-out points per class, in a random order
ACROSS = 0.0


def _two_classes(seed, k, distance):
    g = torch.Generator().manual_seed(seed)
    d = 2 + k
    u = torch.randn(d, generator=g)
    u = u / u.norm()
    along = (1.5 + torch.rand((), generator=g)) * (1 if torch.rand((), generator=g) < 0.5 else -1)
    across = torch.randn(d, generator=g) * ACROSS
    across = across - (across @ u) * u                      # moves the classes without moving u·x
    mean0 = along * u + across - distance / 2 * u
    mean1 = mean0 + distance * u

    def draw(n):
        y = torch.arange(2).repeat_interleave(n)
        X = torch.randn(2 * n, d, generator=g) + torch.where(y[:, None] == 1, mean1, mean0)
        return X, y.float()

    X, y = draw(N_TRAIN)
    X_test, y_test = draw(N_TEST)
    order = torch.randperm(len(y_test), generator=g)
    return {"X": X, "y": y, "X_test": X_test[order]}, y_test[order]


def separated(seed, k):
    """Hidden set k for accuracy: classes 5 standard deviations apart (the best accuracy, Φ(2.5),
    is 0.994)."""
    return _two_classes(seed, k, 5.0)


def overlapping(seed, k):
    """Hidden set k for the probabilities: classes 2 standard deviations apart (the best accuracy,
    Φ(1), is 0.841; the best Brier score, the mean of (p - y)² of the true probabilities, about
    0.11)."""
    return _two_classes(seed, k, 2.0)
