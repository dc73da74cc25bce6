"""Correct answers to assignment 8 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.

The choose_and_fit entries are free choices graded on their outcome (the mean test MSE on six
hidden curves): other grids, other numbers of folds, leave-one-out, torch's global generator,
the final weights found by an optimiser, repeated folds.
"""

_PICK = """    best = int(errors.argmin())
    degree, lam = degrees[best // len(lams)], lams[best % len(lams)]
    return degree, lam, ridge_fit(features(x, degree), y, lam)"""

ALTERNATIVES = {
    "features: torch.vander, increasing powers": {
        "cell": "features",
        "code": """def features(x, degree, low=-2.0, high=2.0):
    return torch.vander((2 * x - low - high) / (high - low), N=degree + 1, increasing=True)""",
    },
    "features: powers broadcast against an arange": {
        "cell": "features",
        "code": """def features(x, degree, low=-2.0, high=2.0):
    middle, half = (low + high) / 2, (high - low) / 2
    return ((x - middle) / half).unsqueeze(1) ** torch.arange(degree + 1, dtype=x.dtype)""",
    },
    "features: columns built by repeated multiplication": {
        "cell": "features",
        "code": """def features(x, degree, low=-2.0, high=2.0):
    t = 2 * (x - low) / (high - low) - 1
    columns = [torch.ones_like(t)]
    for _ in range(degree):
        columns.append(columns[-1] * t)
    return torch.stack(columns, dim=1)""",
    },
    "ridge: lstsq on the stacked system [A/√n; √λ I] w = [y/√n; 0]": {
        "cell": "ridge_fit",
        "code": """import math


def ridge_fit(A, y, lam):
    n, p = A.shape
    stacked = torch.cat([A / math.sqrt(n), math.sqrt(lam) * torch.eye(p, dtype=A.dtype)])
    target = torch.cat([y / math.sqrt(n), torch.zeros(p, dtype=A.dtype)])
    return torch.linalg.lstsq(stacked, target.unsqueeze(1), driver="gelsd").solution.squeeze(1)""",
    },
    "ridge: Cholesky factorisation of AᵀA + nλI": {
        "cell": "ridge_fit",
        "code": """def ridge_fit(A, y, lam):
    n, p = A.shape
    L = torch.linalg.cholesky(A.T @ A + n * lam * torch.eye(p, dtype=A.dtype))
    return torch.cholesky_solve((A.T @ y).unsqueeze(1), L).squeeze(1)""",
    },
    "ridge: the SVD of A, each direction shrunk by s/(s² + nλ)": {
        "cell": "ridge_fit",
        "code": """def ridge_fit(A, y, lam):
    U, s, Vh = torch.linalg.svd(A, full_matrices=False)
    return Vh.T @ (s / (s ** 2 + len(y) * lam) * (U.T @ y))""",
    },
    "k-fold: argsort of uniform draws, folds cut by hand": {
        "cell": "kfold_indices",
        "code": """def kfold_indices(n, k, generator):
    order = torch.argsort(torch.rand(n, generator=generator))
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    splits, start = [], 0
    for size in sizes:
        val = order[start:start + size]
        train = torch.cat([order[:start], order[start + size:]])
        splits.append((train, val))
        start += size
    return splits""",
    },
    "k-fold: positions dealt round-robin after a shuffle, masks for the rest": {
        "cell": "kfold_indices",
        "code": """def kfold_indices(n, k, generator):
    perm = torch.randperm(n, generator=generator)
    fold_of = torch.empty(n, dtype=torch.int64)
    fold_of[perm] = torch.arange(n) % k
    return [(torch.nonzero(fold_of != i).flatten(), torch.nonzero(fold_of == i).flatten()) for i in range(k)]""",
    },
    "k-fold: Python lists, then tensors": {
        "cell": "kfold_indices",
        "code": """def kfold_indices(n, k, generator):
    perm = torch.randperm(n, generator=generator).tolist()
    folds = [perm[i::k] for i in range(k)]
    splits = []
    for i in range(k):
        train = [p for j, fold in enumerate(folds) if j != i for p in fold]
        splits.append((torch.tensor(train, dtype=torch.int64), torch.tensor(folds[i], dtype=torch.int64)))
    return splits""",
    },
    "cross-validation: folds outermost, the MSE over all validation points pooled": {
        "cell": "cross_validate",
        "code": """def cross_validate(x, y, folds, degrees, lams):
    squared = torch.zeros(len(degrees), len(lams), dtype=torch.float64)
    count = 0
    for train_idx, val_idx in folds:
        count += len(val_idx)
        for i, degree in enumerate(degrees):
            for j, lam in enumerate(lams):
                w = ridge_fit(features(x[train_idx], degree), y[train_idx], lam)
                squared[i, j] += ((features(x[val_idx], degree) @ w - y[val_idx]) ** 2).sum()
    return squared / count""",
    },
    "cross-validation: nested lists turned into a tensor": {
        "cell": "cross_validate",
        "code": """def cross_validate(x, y, folds, degrees, lams):
    def error(degree, lam, train_idx, val_idx):
        w = ridge_fit(features(x[train_idx], degree), y[train_idx], lam)
        return torch.mean((features(x[val_idx], degree) @ w - y[val_idx]) ** 2).item()

    return torch.tensor([[sum(error(d, lam, t, v) for t, v in folds) / len(folds) for lam in lams]
                         for d in degrees], dtype=torch.float64)""",
    },
    "cross-validation: torch.nn.functional.mse_loss, float32 result": {
        "cell": "cross_validate",
        "code": """import torch.nn.functional as F


def cross_validate(x, y, folds, degrees, lams):
    errors = torch.empty(len(degrees), len(lams))
    for i, degree in enumerate(degrees):
        for j, lam in enumerate(lams):
            fold_errors = [F.mse_loss(features(x[v], degree) @ ridge_fit(features(x[t], degree), y[t], lam), y[v])
                           for t, v in folds]
            errors[i, j] = sum(fold_errors) / len(fold_errors)
    return errors""",
    },
    "choose: 10 folds, degrees 0 to 10": {
        "cell": "choose_and_fit",
        "code": """def choose_and_fit(x, y):
    degrees = list(range(11))
    lams = [10.0 ** e for e in range(-8, 1)]
    errors = cross_validate(x, y, kfold_indices(len(x), 10, torch.Generator().manual_seed(2024)), degrees, lams)
""" + _PICK,
    },
    "choose: leave-one-out (k = n)": {
        "cell": "choose_and_fit",
        "code": """def choose_and_fit(x, y):
    degrees = list(range(13))
    lams = [10.0 ** e for e in range(-8, 1)]
    errors = cross_validate(x, y, kfold_indices(len(x), len(x), torch.Generator().manual_seed(0)), degrees, lams)
""" + _PICK,
    },
    "choose: torch's global generator seeded, folds drawn from it": {
        "cell": "choose_and_fit",
        "code": """def choose_and_fit(x, y):
    torch.manual_seed(0)
    degrees = list(range(13))
    lams = [10.0 ** e for e in range(-8, 1)]
    errors = cross_validate(x, y, kfold_indices(len(x), 5, None), degrees, lams)
""" + _PICK,
    },
    "choose: degree 14 kept, only λ chosen (the lesson's weight decay)": {
        "cell": "choose_and_fit",
        "code": """def choose_and_fit(x, y):
    degrees = [14]
    lams = [10.0 ** (e / 2) for e in range(-16, 3)]
    errors = cross_validate(x, y, kfold_indices(len(x), 5, torch.Generator().manual_seed(7)), degrees, lams)
""" + _PICK,
    },
    "choose: a coarse grid of λ, degrees up to 8, 4 folds": {
        "cell": "choose_and_fit",
        "code": """def choose_and_fit(x, y):
    degrees = list(range(9))
    lams = [1e-6, 1e-3, 1e-1]
    errors = cross_validate(x, y, kfold_indices(len(x), 4, torch.Generator().manual_seed(1)), degrees, lams)
""" + _PICK,
    },
    "choose: 5 folds repeated with 3 seeds, errors averaged": {
        "cell": "choose_and_fit",
        "code": """def choose_and_fit(x, y):
    degrees = list(range(13))
    lams = [10.0 ** e for e in range(-8, 1)]
    errors = sum(cross_validate(x, y, kfold_indices(len(x), 5, torch.Generator().manual_seed(s)), degrees, lams)
                 for s in range(3)) / 3
""" + _PICK,
    },
    "choose: the final weights found by L-BFGS on the penalised loss": {
        "cell": "choose_and_fit",
        "code": """def choose_and_fit(x, y):
    degrees = list(range(13))
    lams = [10.0 ** e for e in range(-8, 1)]
    errors = cross_validate(x, y, kfold_indices(len(x), 5, torch.Generator().manual_seed(0)), degrees, lams)
    best = int(errors.argmin())
    degree, lam = degrees[best // len(lams)], lams[best % len(lams)]
    A = features(x, degree)
    w = torch.zeros(degree + 1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([w], lr=1, max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-14,
                                  line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = ((A @ w - y) ** 2).mean() + lam * (w ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return degree, lam, w.detach()""",
    },
}
