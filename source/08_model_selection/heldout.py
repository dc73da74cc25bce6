"""Assignment 8's hidden held-out sets, made by the grading process alone (grading/outcome.py):
this file is never copied into a kernel's folder, nor released. A student's kernel gets each set's
20 training points with their measured values and 2,000 held-out inputs, never the values
measured there.

The curves are drawn as the notebook's `curve_data` draws them (a cubic, a sine wave or a bump,
noise of standard deviation 0.5); set k is of kind k % 3, so that the 6 sets hold two of each."""
import torch

SETS = 6
NOISE = 0.5


def _curve(g, kind):
    def uniform(low, high):
        return low + (high - low) * torch.rand((), generator=g, dtype=torch.float64).item()

    def sign():
        return 1.0 if torch.rand((), generator=g, dtype=torch.float64).item() < 0.5 else -1.0

    if kind == 0:
        c = [uniform(-2, 2), sign() * uniform(0.5, 1.5), sign() * uniform(1, 2), sign() * uniform(1.5, 3)]
        return lambda x: c[0] + c[1] * x + c[2] * x ** 2 / 2 + c[3] * x ** 3 / 4
    if kind == 1:
        a, w, phase, b = uniform(1.5, 2.5), uniform(1, 2), uniform(0, 6.283), uniform(-0.5, 0.5)
        return lambda x: a * torch.sin(w * x + phase) + b * x
    a, m, s, b, c = sign() * uniform(2, 3), uniform(-0.8, 0.8), uniform(0.5, 0.8), uniform(-1, 1), uniform(-1, 1)
    return lambda x: a * torch.exp(-(x - m) ** 2 / (2 * s ** 2)) + b * x + c


def curves(seed, k, n=20, n_test=2000):
    """Hidden set k: a random curve of kind k % 3 from `seed`, measured with noise at n training
    points (one in each of n equal intervals of [-2, 2], in a random order) and at n_test held-out
    points in the range of the training points (the targets: the values measured there)."""
    g = torch.Generator().manual_seed(seed)
    truth = _curve(g, k % 3)
    x = (torch.arange(n, dtype=torch.float64) + torch.rand(n, generator=g, dtype=torch.float64)) * (4 / n) - 2
    x = x[torch.randperm(n, generator=g)]
    x_test = x.min() + (x.max() - x.min()) * torch.rand(n_test, generator=g, dtype=torch.float64)
    y = truth(x) + NOISE * torch.randn(n, generator=g, dtype=torch.float64)
    y_test = truth(x_test) + NOISE * torch.randn(n_test, generator=g, dtype=torch.float64)
    return {"x": x, "y": y, "x_test": x_test}, y_test
