"""Lesson 4, section 7: the SGD step with the gradient by hand, and benchmarks/softmax_epoch.py.

The step is checked against autograd, and the check is shown to reject the mistakes one makes
writing it; the benchmark's copy of the step must match the lecture's; the benchmark's recipe
learns; the benchmark runs end to end on a small size and fails (exit 1) when a target is missed."""
import ast
import importlib.util
import inspect
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from conftest import read

ROOT = Path(__file__).resolve().parent.parent
LECTURE = ROOT / "notebooks" / "04_softmax_regression.ipynb"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("softmax_epoch", ROOT / "benchmarks" / "softmax_epoch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_benchmark()


def autograd_step(W, b, X, y, lr):
    """The reference: SGD on F.cross_entropy(X W + b, y) through autograd, W (784, 10)."""
    W, b = W.clone().requires_grad_(), b.clone().requires_grad_()
    F.cross_entropy(X @ W + b, y).backward()
    return (W - lr * W.grad).detach(), (b - lr * b.grad).detach()


def matches_autograd(step, transposed=False):
    """True if `step(W, b, X, y, lr)` (in place) equals the autograd step on random data of a few
    sizes (n never 10, so that the class and batch dimensions cannot be confused). W is (784, 10),
    or (10, 784) if `transposed`. A step that raises does not match."""
    g = torch.Generator().manual_seed(0)
    for n, lr in ((7, 0.5), (33, 1.0), (1, 0.1)):
        W, b = torch.randn(784, 10, generator=g) * 0.05, torch.randn(10, generator=g)
        X, y = torch.rand(n, 784, generator=g), torch.randint(0, 10, (n,), generator=g)
        W_want, b_want = autograd_step(W, b, X, y, lr)
        if transposed:
            W, W_want = W.T.contiguous(), W_want.T
        try:
            step(W, b, X, y, lr)
        except (IndexError, RuntimeError):
            return False
        if not (torch.allclose(W, W_want, atol=1e-5) and torch.allclose(b, b_want, atol=1e-5)):
            return False
    return True


def test_the_step_by_hand_equals_autograd():
    assert matches_autograd(bench.sgd_step_by_hand)
    assert matches_autograd(bench.sgd_step_by_hand_columns, transposed=True)


@torch.no_grad()
def softmax_wrong_dim(W, b, X, y, lr):
    G = torch.softmax(X @ W + b, dim=0)                 # over the images, not the classes
    G[torch.arange(len(y)), y] -= 1
    G /= len(y)
    W -= lr * (X.T @ G)
    b -= lr * G.sum(dim=0)


@torch.no_grad()
def sum_not_mean(W, b, X, y, lr):
    G = torch.softmax(X @ W + b, dim=1)
    G[torch.arange(len(y)), y] -= 1                     # forgot G /= n: the gradient of the sum
    W -= lr * (X.T @ G)
    b -= lr * G.sum(dim=0)


@torch.no_grad()
def no_onehot(W, b, X, y, lr):
    G = torch.softmax(X @ W + b, dim=1) / len(y)        # forgot "minus the one-hot labels"
    W -= lr * (X.T @ G)
    b -= lr * G.sum(dim=0)


@torch.no_grad()
def wrong_sign(W, b, X, y, lr):
    G = torch.softmax(X @ W + b, dim=1)
    G[torch.arange(len(y)), y] -= 1
    G /= len(y)
    W += lr * (X.T @ G)                                 # gradient ascent
    b += lr * G.sum(dim=0)


@torch.no_grad()
def bias_wrong_dim(W, b, X, y, lr):
    G = torch.softmax(X @ W + b, dim=1)
    G[torch.arange(len(y)), y] -= 1
    G /= len(y)
    W -= lr * (X.T @ G)
    b -= lr * G.mean(dim=0)                             # mean over the batch again: divided by n twice


@torch.no_grad()
def labels_as_columns(W, b, X, y, lr):
    G = torch.softmax(X @ W + b, dim=1)
    G[y, torch.arange(len(y))] -= 1                     # indexed (class, image), not (image, class)
    G /= len(y)
    W -= lr * (X.T @ G)
    b -= lr * G.sum(dim=0)


@torch.no_grad()
def no_bias_in_logits(W, b, X, y, lr):
    G = torch.softmax(X @ W, dim=1)                     # forgot + b
    G[torch.arange(len(y)), y] -= 1
    G /= len(y)
    W -= lr * (X.T @ G)
    b -= lr * G.sum(dim=0)


@pytest.mark.parametrize("mistake", [softmax_wrong_dim, sum_not_mean, no_onehot, wrong_sign, bias_wrong_dim,
                                     labels_as_columns, no_bias_in_logits], ids=lambda f: f.__name__)
def test_the_check_rejects_each_mistake(mistake):
    assert not matches_autograd(mistake)


def lecture_functions():
    """The function definitions of the lecture's code cells, by name."""
    found = {}
    for cell in read(LECTURE).cells:
        if cell.cell_type == "code" and "def " in cell.source:
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = node
    return found


def test_the_benchmark_times_the_lectures_step():
    lecture = lecture_functions()
    ours = {node.name: node for node in ast.parse((ROOT / "benchmarks" / "softmax_epoch.py").read_text()).body
            if isinstance(node, ast.FunctionDef)}
    assert ast.dump(lecture["sgd_step_by_hand"]) == ast.dump(ours["sgd_step_by_hand"]), (
        "benchmarks/softmax_epoch.py must time the lecture's sgd_step_by_hand, copied verbatim")


def test_the_step_comparison_sees_a_changed_step():
    changed = ast.parse(inspect.getsource(bench.sgd_step_by_hand).replace("G /= len(y)", "G /= 2 * len(y)"))
    assert ast.dump(changed.body[0]) != ast.dump(lecture_functions()["sgd_step_by_hand"])


def test_the_benchmarks_recipe_learns():
    X, y = stand_in_full_data(informative=True)[:2]
    W, b = bench.train_lesson(X, y, epochs=3, batch_size=64)
    assert float(((X @ W + b).argmax(dim=1) == y).float().mean()) > 0.95


def run_benchmark(monkeypatch, capsys, *argv):
    monkeypatch.setattr(bench, "N", 1200)          # a small size: the smoke test, not the measurement
    monkeypatch.setattr("sys.argv", ["softmax_epoch.py", "--repeats", "1", *argv])
    status = bench.main()
    return status, capsys.readouterr().out


def test_the_benchmark_runs_and_prints_every_way(monkeypatch, capsys):
    status, out = run_benchmark(monkeypatch, capsys, "--no-check")
    assert status == 0
    for line in ("per-item Dataset + ToTensor + DataLoader", "one tensor, X[idx]", "shuffled once, X[a:b] views",
                 "lesson: views + the step by hand", "images as columns", "ratio per-item / lesson",
                 "torch.get_num_threads() = 1"):
        assert line in out


def test_the_benchmark_fails_when_a_target_is_missed(monkeypatch, capsys):
    monkeypatch.setattr(bench, "EPOCH_TARGET_S", 0.0)
    status, out = run_benchmark(monkeypatch, capsys)
    assert status == 1 and "TARGET MISSED: the lesson's epoch took" in out


def stand_in_full_data(informative):
    """A FashionMNIST tuple of 1,200 + 200 images; labels follow the images only if `informative`."""
    from helpers.fashion import CLASSES, FashionMNIST
    g = torch.Generator().manual_seed(0)
    centres = torch.rand(10, 784, generator=g)

    def split(n):
        y = torch.randint(0, 10, (n,), generator=g)
        X = (centres[y] + 0.3 * torch.randn(n, 784, generator=g)).clamp(0, 1)
        return (X, y) if informative else (X, torch.randint(0, 10, (n,), generator=g))

    return FashionMNIST(*split(1200), *split(200), list(CLASSES))


@pytest.mark.parametrize("informative, training_limit_s, missed", [
    (False, 10.0, "full data: test accuracy"),      # an uninformative data set misses 0.84
    (True, 0.0, "full data: test accuracy"),        # accurate, but over the (here zero) time limit
    (True, 10.0, None),                             # accurate and in time: targets met
])
def test_with_the_full_data_the_benchmark_checks_accuracy_and_time(monkeypatch, capsys, informative,
                                                                  training_limit_s, missed):
    """With N training images found (N made small here), the training run is a target too."""
    data = stand_in_full_data(informative)
    monkeypatch.setattr(bench, "find_data", lambda: (data, "the full Fashion-MNIST (stand-in)"))
    monkeypatch.setattr(bench, "EPOCH_TARGET_S", 1e9)
    monkeypatch.setattr(bench, "RATIO_TARGET", 0.0)
    monkeypatch.setattr(bench, "TRAINING_TARGET_S", training_limit_s)
    status, out = run_benchmark(monkeypatch, capsys)
    assert "NOT CHECKED" not in out and "training run on the full Fashion-MNIST (stand-in)" in out
    if missed:
        assert status == 1 and f"TARGET MISSED: {missed}" in out
    else:
        assert status == 0 and "TARGET MISSED" not in out and "targets met" in out
