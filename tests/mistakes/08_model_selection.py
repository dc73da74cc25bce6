"""Typical wrong answers to assignment 8 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.

test_choose_and_fit is graded on the outcome (the mean test MSE on six hidden curves,
grading/outcome.py; full marks at 0.6, none at 1.0): a mistake that still chooses a good model
(folds that overlap, a sum over the folds instead of a mean) loses only its own tests' points.
Cross-validation that leaks (a split that trains on its own validation fold, errors measured on
the training points) chooses by the training error in disguise: on the solution's grid (degrees up
to 12, λ from 1e-8) that is degree 12 with λ = 1e-8, a mean MSE of 0.35-0.56, which the outcome
cannot tell from a fair choice, so those mistakes are caught by the mechanics tests alone. With
λ = 0 on the grid the training error picks degree 14 unpenalised: 1.1 or more. The MSE each
mistake reaches: benchmarks/outcome_margins.py 08_model_selection.
"""

_GRID = """    degrees = list(range(15))
    lams = [0.0] + [10.0 ** e for e in range(-8, 1)]
"""

_PICK = """    best = int(errors.argmin())
    degree, lam = degrees[best // len(lams)], lams[best % len(lams)]
    return degree, lam, ridge_fit(features(x, degree), y, lam)"""

MISTAKES = {
    "raw powers x^i, not (x/2)^i": {
        "cell": "features",
        "hint": "Compare your features with the definition in the exercise: the inputs are rescaled before taking powers.",
        "code": """def features(x, degree):
    return torch.stack([x ** i for i in range(degree + 1)], dim=1)""",
        "fails": {"test_features", "test_ridge_fit", "test_cross_validate"},
    },
    "the lesson's x^i / i!": {
        "cell": "features",
        "hint": "This assignment defines its features differently from the lesson: read the definition again.",
        "code": """import math


def features(x, degree):
    return torch.stack([x ** i / math.factorial(i) for i in range(degree + 1)], dim=1)""",
        "fails": {"test_features", "test_ridge_fit", "test_cross_validate"},
    },
    "ridge: AᵀA not divided by n (the penalty n times too weak)": {
        "cell": "ridge_fit",
        "hint": "Check that the data term and the penalty are scaled as in the exercise's formula.",
        "code": """def ridge_fit(A, y, lam):
    return torch.linalg.solve(A.T @ A + lam * torch.eye(A.shape[1], dtype=A.dtype), A.T @ y)""",
        "fails": {"test_ridge_fit", "test_cross_validate"},
    },
    "ridge: lam added to every entry of AᵀA/n, not to its diagonal": {
        "cell": "ridge_fit",
        "hint": "The penalty adds λ times the identity matrix, not λ to every entry.",
        "code": """def ridge_fit(A, y, lam):
    n = A.shape[0]
    return torch.linalg.solve(A.T @ A / n + lam, A.T @ y / n)""",
        "fails": {"test_ridge_fit", "test_cross_validate"},
    },
    "ridge: the constant's weight left out of the penalty": {
        "cell": "ridge_fit",
        "hint": "Check which weights the exercise's penalty applies to.",
        "code": """def ridge_fit(A, y, lam):
    n, p = A.shape
    penalty = lam * torch.eye(p, dtype=A.dtype)
    penalty[0, 0] = 0
    return torch.linalg.solve(A.T @ A / n + penalty, A.T @ y / n)""",
        "fails": {"test_ridge_fit", "test_cross_validate"},
    },
    "k-fold: folds that overlap (a new permutation for each fold)": {
        "cell": "kfold_indices",
        "hint": "Shuffle once, then cut that one order into folds: every point should be in exactly one validation fold.",
        "code": """def kfold_indices(n, k, generator):
    splits = []
    for i in range(k):
        perm = torch.randperm(n, generator=generator)
        splits.append((perm[n // k:], perm[:n // k]))
    return splits""",
        "fails": {"test_kfold_folds"},
    },
    "k-fold: torch.chunk, uneven folds (10 points in 4: 3, 3, 3, 1)": {
        "cell": "kfold_indices",
        "hint": "Check the sizes of your folds when the number of points is not a multiple of k.",
        "code": """def kfold_indices(n, k, generator):
    folds = torch.randperm(n, generator=generator).chunk(k)
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(len(folds))]""",
        "fails": {"test_kfold_folds"},
    },
    "k-fold: torch's global generator, not the one given": {
        "cell": "kfold_indices",
        "hint": "Use the generator passed to the function for the shuffle.",
        "code": """def kfold_indices(n, k, generator):
    folds = torch.randperm(n).tensor_split(k)
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]""",
        "fails": {"test_kfold_random"},
    },
    "k-fold: consecutive folds, never shuffled": {
        "cell": "kfold_indices",
        "hint": "The points should be shuffled before they are split into folds.",
        "code": """def kfold_indices(n, k, generator):
    folds = torch.arange(n).tensor_split(k)
    return [(torch.cat(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]""",
        "fails": {"test_kfold_random"},
    },
    "k-fold: folds that leak (each split trains on all the points, its validation fold too)": {
        "cell": "kfold_indices",
        "hint": "A split's training points must not include its validation fold.",
        "code": """def kfold_indices(n, k, generator):
    perm = torch.randperm(n, generator=generator)
    return [(perm, fold) for fold in perm.tensor_split(k)]""",
        "fails": {"test_kfold_folds"},
    },
    "cross-validation: the error measured on each split's training points": {
        "cell": "cross_validate",
        "hint": "Measure each split's error on the points the model did not see while fitting.",
        "code": """def cross_validate(x, y, folds, degrees, lams):
    errors = torch.zeros(len(degrees), len(lams), dtype=x.dtype)
    for i, degree in enumerate(degrees):
        for j, lam in enumerate(lams):
            total = 0.0
            for train_idx, val_idx in folds:
                w = ridge_fit(features(x[train_idx], degree), y[train_idx], lam)
                total += ((features(x[train_idx], degree) @ w - y[train_idx]) ** 2).mean()
            errors[i, j] = total / len(folds)
    return errors""",
        "fails": {"test_cross_validate"},
    },
    "cross-validation: fitted on all the data, validated on the fold": {
        "cell": "cross_validate",
        "hint": "Fit each split's model on its training folds only.",
        "code": """def cross_validate(x, y, folds, degrees, lams):
    errors = torch.zeros(len(degrees), len(lams), dtype=x.dtype)
    for i, degree in enumerate(degrees):
        for j, lam in enumerate(lams):
            w = ridge_fit(features(x, degree), y, lam)
            errors[i, j] = sum(((features(x[v], degree) @ w - y[v]) ** 2).mean() for _, v in folds) / len(folds)
    return errors""",
        "fails": {"test_cross_validate"},
    },
    "cross-validation: the sum over the folds, not the mean": {
        "cell": "cross_validate",
        "hint": "Check how the folds' errors are combined into one number.",
        "code": """def cross_validate(x, y, folds, degrees, lams):
    errors = torch.zeros(len(degrees), len(lams), dtype=x.dtype)
    for i, degree in enumerate(degrees):
        for j, lam in enumerate(lams):
            for train_idx, val_idx in folds:
                w = ridge_fit(features(x[train_idx], degree), y[train_idx], lam)
                errors[i, j] += ((features(x[val_idx], degree) @ w - y[val_idx]) ** 2).mean()
    return errors""",
        "fails": {"test_cross_validate"},
    },
    "chosen by the training error (the highest degree, λ = 0: overfit)": {
        "cell": "choose_and_fit",
        "hint": "The training error always prefers the most flexible model: choose by an error on held-out points.",
        "code": "def choose_and_fit(x, y):\n" + _GRID + """    errors = torch.tensor([[((features(x, d) @ ridge_fit(features(x, d), y, lam) - y) ** 2).mean().item()
                            for lam in lams] for d in degrees])
""" + _PICK,
        "fails": {"test_choose_and_fit"},
    },
    "degree 14 without any penalty (least squares)": {
        "cell": "choose_and_fit",
        "hint": "Choose the degree and the penalty by cross-validation rather than fixing them.",
        "code": """def choose_and_fit(x, y):
    w = torch.linalg.lstsq(features(x, 14), y.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    return 14, 0.0, w""",
        "fails": {"test_choose_and_fit"},
    },
    "always degree 1, only λ chosen (underfit)": {
        "cell": "choose_and_fit",
        "hint": "Search over the degree as well as over λ.",
        "code": """def choose_and_fit(x, y):
    degrees, lams = [1], [10.0 ** e for e in range(-8, 1)]
    errors = cross_validate(x, y, kfold_indices(len(x), 5, torch.Generator().manual_seed(0)), degrees, lams)
""" + _PICK,
        "fails": {"test_choose_and_fit"},
    },
    "the largest λ on the grid, whatever the data (underfit)": {
        "cell": "choose_and_fit",
        "hint": "Let cross-validation pick λ: the largest penalty is not always the best.",
        "code": """def choose_and_fit(x, y):
    errors = cross_validate(x, y, kfold_indices(len(x), 5, torch.Generator().manual_seed(0)), list(range(13)), [1.0])
    degree = int(errors.argmin())
    return degree, 1.0, ridge_fit(features(x, degree), y, 1.0)""",
        "fails": {"test_choose_and_fit"},
    },
}

DEMO = {
    "wrong": "cross-validation: the sum over the folds, not the mean",
    "scores": {"alice": 19, "bob": 0, "carol": 15},
}
