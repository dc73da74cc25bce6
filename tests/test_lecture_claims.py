"""The lectures' corrected claims, pinned: a re-run that changes a number cannot silently contradict
the text that quotes it.

nbval (tests/test_lectures.py, `make test`) checks that each lecture's code cells print their stored
outputs; it never reads the markdown. These tests recompute what is cheap to recompute (lesson 8's
degree-14 minimum, the Adam / AdamW identities, `.float()` on float32, lesson 4's learning-rate
comparison), and check that the numbers the prose quotes are the numbers the stored outputs show.
Each lecture's own code is run where a claim depends on it (its cells are found by their content),
so the tests follow the notebook rather than a copy of it."""
import math
import os
import re

import pytest
import torch

from conftest import REPO, read

NOTEBOOKS = REPO / "notebooks"


def notebook(prefix):
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    return read(path)


def cell(nb, needle, kind="code"):
    """The one cell of `kind` whose source contains `needle`."""
    found = [c for c in nb.cells if c.cell_type == kind and needle in c.source]
    assert len(found) == 1, f"expected one {kind} cell containing {needle!r}, found {len(found)}"
    return found[0]


def output(nb, needle):
    """The stored text output (stdout) of the code cell containing `needle`."""
    return "".join(out.get("text", "") for out in cell(nb, needle).outputs if out.output_type == "stream")


def prose(nb):
    """All markdown of the notebook, every run of white space (line breaks too) made one space."""
    return re.sub(r"\s+", " ", " ".join(c.source for c in nb.cells if c.cell_type == "markdown"))


def run(nb, *needles):
    """Execute the code cells containing `needles`, in order, in one fresh namespace; return it."""
    namespace = {}
    for needle in needles:
        exec(compile(cell(nb, needle).source, f"<cell {needle}>", "exec"), namespace)
    return namespace


# --- lesson 1 ------------------------------------------------------------------------------------

def test_lesson1_float_on_float32_is_the_same_tensor_and_the_text_says_so():
    b = torch.tensor([[1.0, 2.0, 3.0]])
    assert b.float() is b, "torch changed: .float() on a float32 tensor no longer returns it unchanged"
    a = torch.tensor([[1, 2, 3]])
    assert a.float() is not a and a.float().dtype == torch.float32
    nb = notebook("01")
    assert "b.float() is b itself: True" in output(nb, "b.float() is b")
    text = prose(nb)
    assert "`.float()` converts (a copy);" not in text
    assert "the same object" in text and "a copy only when the dtype changes" in text


# --- lesson 3 ------------------------------------------------------------------------------------

def test_lesson3_boundary_slopes_quoted_are_the_stored_ones():
    nb = notebook("03")
    printed = output(nb, "def max_likelihood")
    trained = [float(v) for v in re.findall(r"trained line: slope (-?[\d.]+)", printed)]
    best = [float(v) for v in re.findall(r"maximum likelihood: slope (-?[\d.]+)", printed)]
    assert len(trained) == 5 and len(best) == 4, printed
    assert all(s < -1.3 for s in trained[1:]), "the trained lines (s >= 1) should be steeper than the true -1"
    text = prose(nb)
    assert "stays near the line x₁ + x₂ = 0" not in text
    assert f"{trained[0]:.2f}".replace("-", "−") in text
    for s in best:
        assert f"{s:.2f}".replace("-", "−") in text, f"maximum-likelihood slope {s} not quoted"
    low, high = max(trained[1:]), min(trained[1:])
    assert f"from −{abs(low):.1f} to −{abs(high):.2f}" in text


# --- lesson 4 ------------------------------------------------------------------------------------

def stored_sweep(nb):
    """{lr: (final training loss, final training accuracy)} from the stored sweep output."""
    rows = re.findall(r"lr ([\d.]+)\s*: training loss after each epoch ([\d. ]+)\| training accuracy ([\d.]+)",
                      output(nb, "training loss after each epoch {losses}"))
    return {float(lr): (float(losses.split()[-1]), float(acc)) for lr, losses, acc in rows}


def test_lesson4_lr_comparison_in_the_text_matches_the_stored_sweep():
    nb = notebook("04")
    sweep = stored_sweep(nb)
    assert set(sweep) == {0.05, 0.1, 0.5, 2.0}
    assert sweep[0.5][0] < sweep[0.1][0] < sweep[0.05][0], "0.5 should end with the lowest loss of the timid rates"
    assert "def run_from_scratch(epochs=10, lr=0.5," in cell(nb, "def run_from_scratch").source
    text = prose(nb)
    assert (f"{sweep[0.5][0]:.2f}, against {sweep[0.1][0]:.2f} at 0.1 and {sweep[0.05][0]:.2f} at 0.05"
            in text)
    # the run's first and last epochs, as the text quotes them
    first_last = {key: (float(first), float(last)) for key, first, last in re.findall(
        r"(\w+ \w+)\s+first epoch ([\d.]+)\s+last epoch ([\d.]+)", output(nb, "for key, values in history.items()"))}
    acc, loss = first_last["train accuracy"], first_last["train loss"]
    assert f"({acc[1]:.3f} against {first_last['test accuracy'][1]:.3f})" in text
    assert f"({loss[1]:.2f} against {first_last['test loss'][1]:.2f})" in text
    assert f"(loss {loss[0]:.2f} against {first_last['test loss'][0]:.2f})" in text
    assert "lesson 9 returns to Fashion-MNIST" in text and "(lesson 5)" not in text


def test_lesson4_confusion_text_names_the_footwear_confusions():
    nb = notebook("04")
    recall = dict((name, float(r)) for name, r in re.findall(r"([A-Z][\w/ -]+?) (\d\.\d\d)",
                                                               output(nb, "recall per class")))
    text = prose(nb)
    assert f"sandals and sneakers (both {recall['Sandal']:.2f})" in text and recall["Sandal"] == recall["Sneaker"]
    assert f"shirts (recall {recall['Shirt']:.2f})" in text


@pytest.mark.skipif(not os.environ.get("FASHION_MNIST_DIR"), reason="needs FASHION_MNIST_DIR (the excerpt)")
def test_lesson4_rate_half_ends_below_a_tenth_recomputed():
    """Two 10-epoch runs of the lecture's own from-scratch loop on the excerpt (a few seconds)."""
    nb = notebook("04")
    torch_threads = torch.get_num_threads()
    try:
        ns = run(nb, "import math", "def cross_entropy", "def accuracy", "X_train, y_train, X_test",
                 "def run_from_scratch")   # the last one trains at lr 0.5, the lecture's choice
        if len(ns["X_train"]) != 3443:
            pytest.skip("the stored numbers come from the 3,443-image excerpt")
        half = ns["history"]["train loss"][-1]
        tenth = ns["run_from_scratch"](lr=0.1)[2]["train loss"][-1]
    finally:
        torch.set_num_threads(torch_threads)
    stored = stored_sweep(nb)
    assert half < tenth, f"lr 0.5 ended at {half:.3f}, lr 0.1 at {tenth:.3f}"
    assert round(half, 2) == stored[0.5][0] and round(tenth, 2) == stored[0.1][0]


# --- lesson 5 ------------------------------------------------------------------------------------

def test_lesson5_stacked_linear_model_reaches_the_convex_optimum_as_stored():
    nb = notebook("05")
    printed = output(nb, "def best_linear_map")
    best, stacked = (float(v) for v in re.findall(r"loss ([\d.]+)", printed))
    assert "gradient norm below 1e-4: True" in printed
    assert abs(best - stacked) < 5e-4, printed
    assert "restarts tell a model's limit" not in prose(nb)


# --- lesson 7 ------------------------------------------------------------------------------------

def test_lesson7_validation_below_training_explained_with_the_stored_numbers():
    nb = notebook("07")
    printed = output(nb, "the same run as above")
    assert "the same run as above: True" in printed
    rows = {int(e): (float(d), float(a), float(v)) for e, d, a, v in
            re.findall(r"^\s*(\d+)\s+([\d.]+) \|\s+([\d.]+)\s+([\d.]+)$", printed, flags=re.M)}
    text = prose(nb)
    first, last = rows[1], rows[100]
    assert first[1] < first[0] and first[1] < first[2], "after epoch 1 the end-of-epoch training loss is lowest"
    assert last[2] < last[1] <= last[0]
    assert f"({first[1]:.2f} against {first[0]:.2f} after the first" in text
    assert f"({last[1]:.4f} against {last[0]:.4f}" in text
    losses = [float(v) for v in re.findall(r"\(loss ([\d.]+)\)", printed)]
    assert len(losses) == 2 and f"({losses[0]:.2f} and {losses[1]:.2f})" in text
    without = float(re.search(r"without its 3 worst flowers: ([\d.]+)", printed).group(1))
    assert f"{without:.3f}, the validation loss {last[2]:.3f}" in text


def test_plot_history_labels_the_metric_axis_in_lesson_7():
    import matplotlib
    matplotlib.use("Agg")
    from helpers import plot_history
    axes = plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "val_mae": [0.4, 0.3]})
    assert axes[1].get_ylabel() == "val mae"
    matplotlib.pyplot.close("all")


# --- lesson 8 ------------------------------------------------------------------------------------

def lesson8_data():
    return run(notebook("08"), "import copy", "def sample(n, seed", "def least_squares(degree)")


def test_lesson8_degree14_interpolates_its_training_points():
    """15 weights for 15 distinct points: the minimum training MSE is 0, computed robustly
    (a square solve and a QR least-squares in float64, not only the lecture's lstsq)."""
    ns = lesson8_data()
    x, y, features, mse = ns["x_train"], ns["y_train"], ns["features"], ns["mse"]
    assert len(x) == 15 and len(set(x.tolist())) == 15
    A = features(x, 14)
    assert A.dtype == torch.float64 and torch.linalg.cond(A).item() < 1e10
    w = torch.linalg.solve(A, y)
    assert mse(w, x, y) < 1e-15
    Q, R = torch.linalg.qr(A)
    w_qr = torch.linalg.solve_triangular(R, (Q.T @ y).unsqueeze(1), upper=True).squeeze(1)
    assert mse(w_qr, x, y) < 1e-15
    assert mse(ns["least_squares"](14), x, y) < 1e-12, "the lecture's own lstsq should find the 0 too"


def test_lesson8_states_the_zero_minimum_and_the_i_factorial_artefact():
    ns = lesson8_data()
    x, y = ns["x_train"], ns["y_train"]
    nb = notebook("08")
    assert re.search(r"degree 14 \(15 weights\): training MSE +0 \(rounding\)", output(nb, "fits = {degree"))
    text = prose(nb)
    assert "training error is **0**" in text
    # the old features x^i / i!: ill-conditioned, and lstsq (gelsd) reports a minimum that is not one
    old = torch.stack([x ** i / math.factorial(i) for i in range(15)], dim=1)
    assert torch.linalg.cond(old).item() > 1e14
    w = torch.linalg.lstsq(old, y.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    reported = ((old @ w - y) ** 2).mean().item()
    assert reported > 1e-3
    assert f"training error of {reported:.3f} that is not the minimum" in text
    assert "2¹⁴/14! is about 2·10⁻⁷" in text and abs(2 ** 14 / math.factorial(14) - 2e-7) < 0.2e-7


def test_lesson8_uses_assignment_8s_features():
    ns = lesson8_data()
    source = read(REPO / "source" / "08_model_selection" / "08_model_selection.ipynb")
    solution = {}
    exec(compile(cell(source, "def features(x, degree").source.replace("### BEGIN SOLUTION", "")
                 .replace("### END SOLUTION", ""), "<assignment 8 features>", "exec"),
         {"torch": torch}, solution)
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    assert torch.equal(ns["features"](x, 6), solution["features"](x, 6))
    assert "release/08_model_selection/" in prose(notebook("08"))


def test_adam_weight_decay_is_the_l2_penalty_and_adamw_is_not():
    """Adam(weight_decay=wd) takes the steps of Adam on loss + wd/2·|w|²; AdamW's decoupled decay does not."""
    g = torch.Generator().manual_seed(0)
    A, y = torch.randn(20, 5, generator=g, dtype=torch.float64), torch.randn(20, generator=g, dtype=torch.float64)
    w0, wd, lr = torch.randn(5, generator=g, dtype=torch.float64), 0.1, 0.05

    def steps(make, penalty=0.0):
        w = w0.clone().requires_grad_()
        opt = make([w])
        for _ in range(5):
            opt.zero_grad()
            (((A @ w - y) ** 2).mean() + penalty * (w ** 2).sum()).backward()
            opt.step()
        return w.detach()

    penalty = steps(lambda p: torch.optim.Adam(p, lr=lr), wd / 2)
    assert torch.allclose(steps(lambda p: torch.optim.Adam(p, lr=lr, weight_decay=wd)), penalty, atol=1e-12)
    assert torch.allclose(steps(lambda p: torch.optim.SGD(p, lr=lr, weight_decay=wd)),
                          steps(lambda p: torch.optim.SGD(p, lr=lr), wd / 2), atol=1e-12)
    assert not torch.allclose(steps(lambda p: torch.optim.AdamW(p, lr=lr, weight_decay=wd)), penalty, atol=1e-6)
    nb = notebook("08")
    printed = output(nb, "def five_steps")
    assert "the penalty wd/2 · |w|²: True" in printed and "AdamW(weight_decay=wd) takes the same 5 steps: False" in printed
    text = prose(nb)
    assert "With Adam the two differ" not in text and "Every `torch.optim` optimiser takes" not in text
    assert "decoupled" in text and "λ = wd/2" in text
    assert "weight_decay = 2λ" in cell(nb, "ax1.loglog(lambdas").source


def test_lesson8_numbers_in_the_text_are_the_stored_ones():
    nb = notebook("08")
    text = prose(nb)
    sweep = output(nb, "train_mse, val_mse = [], []")
    val = [float(v) for v in re.search(r"validation MSE: (.*)", sweep).group(1).split()]
    best = int(re.search(r"lowest validation MSE: (\d+)", sweep).group(1))
    assert f"Its lowest point is degree {best} ({val[best]:.3f})" in text
    assert f"degree 3 a close second ({val[3]:.3f})" in text
    early = re.search(r"lowest validation MSE ([\d.]+) at step (\d+); after all 20000 steps: training ([\d.]+), "
                      r"validation ([\d.]+)", output(nb, "for step in range(1, 20001)"))
    v, step, tr, va = early.groups()
    assert f"({v[:5]}, at step {int(step):,}" in text and f"({va[:5]} after 20,000 steps, training {tr[:5]})" in text
    tests = [float(t) for t in re.findall(r"test MSE +([\d.e+]+)", output(nb, "final = {"))]
    assert max(tests[:3]) < 0.35 < 1e3 < tests[3]
    assert f"({min(tests[:3]):.2f} to {max(tests[:3]):.2f})" in text
