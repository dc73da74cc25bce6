"""helpers.make_spiral and helpers.plot: shapes, balance, seeding, the source lab's formula, and
plots that leave the caller's model and matplotlib's settings alone."""
import copy
import math

import matplotlib
import pytest
import torch
from torch import nn

from helpers import make_spiral, plot_data, plot_model, set_default

matplotlib.use("Agg")


def gen(seed=0, **kw):
    return make_spiral(generator=torch.Generator().manual_seed(seed), **kw)


def test_shapes_dtypes_and_balance():
    X, y = gen(n_per_class=50, n_classes=3)
    assert X.shape == (150, 2) and X.dtype == torch.float32
    assert y.shape == (150,) and y.dtype == torch.int64
    assert torch.bincount(y).tolist() == [50, 50, 50]
    assert y.tolist() == sorted(y.tolist()), "rows come class by class"
    X, y = make_spiral()
    assert X.shape == (4000, 2) and torch.bincount(y).tolist() == [1000] * 4


def test_determinism_under_a_seed():
    assert torch.equal(gen(3)[0], gen(3)[0])
    assert not torch.equal(gen(3)[0], gen(4)[0])
    state = torch.get_rng_state()
    gen(5)
    assert torch.equal(state, torch.get_rng_state()), "a generator= call must not touch the global RNG"


def test_radius_is_linspace_and_angle_the_source_formula():
    n, C = 7, 4
    X, y = make_spiral(n, C, noise=0.0)
    t = torch.linspace(0, 1, n).repeat(C)
    assert torch.allclose(X.norm(dim=1), t, atol=1e-6)
    # without noise the angle is linspace(2πc/C, 2π(c+2)/C); x = r sin(angle), y = r cos(angle)
    for c in range(C):
        want = torch.linspace(2 * math.pi * c / C, 2 * math.pi * (c + 2) / C, n)[1:]
        got = torch.atan2(X[y == c][1:, 0], X[y == c][1:, 1])
        diff = torch.remainder(got - want + math.pi, 2 * math.pi) - math.pi
        assert diff.abs().max() < 1e-5


def test_noise_shifts_the_angle_not_the_radius():
    X0, _ = make_spiral(200, 3, noise=0.0)
    X, _ = gen(1, n_per_class=200, n_classes=3, noise=0.3)
    assert torch.allclose(X.norm(dim=1), X0.norm(dim=1), atol=1e-6)
    cos = (X * X0).sum(1)[X0.norm(dim=1) > 0] / X0.norm(dim=1)[X0.norm(dim=1) > 0] ** 2
    shift = torch.acos(cos.clamp(-1, 1))
    assert 0.2 < shift.pow(2).mean().sqrt() < 0.4, "angle noise should have std about `noise`"


def test_bad_arguments():
    with pytest.raises(ValueError):
        make_spiral(10, 1)


class Probe(nn.Module):
    """A model with dropout and batch norm: eval mode and running statistics are observable."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                                 nn.Linear(8, 3))

    def forward(self, x):
        return self.net(x)


@pytest.mark.parametrize("mode", ["train", "eval", "mixed"])
def test_plot_model_leaves_the_model_alone(mode):
    import matplotlib.pyplot as plt
    torch.manual_seed(0)
    model = Probe().double()
    model.train(mode == "train")
    if mode == "mixed":
        model.net[3].eval()
    modes = [m.training for m in model.modules()]
    state = copy.deepcopy(model.state_dict())
    X, y = gen(n_per_class=20, n_classes=3)
    fig, ax = plt.subplots()
    assert plot_model(X, y, model, ax=ax, steps=30) is ax
    plt.close(fig)
    assert [m.training for m in model.modules()] == modes
    assert all(p.device.type == "cpu" and p.dtype == torch.float64 for p in model.parameters())
    assert all(p.grad is None for p in model.parameters())
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), f"{key} changed"


def test_plot_model_on_the_models_device_and_plot_data():
    import matplotlib.pyplot as plt
    model = nn.Sequential(nn.Linear(2, 3))
    X, y = gen(n_per_class=10, n_classes=3)
    fig, axes = plt.subplots(1, 2)
    plot_data(X, y, ax=axes[0])
    plot_model(X, y, model, ax=axes[1], steps=10)
    assert len(axes[0].collections) == 1 and len(axes[1].collections) >= 2
    assert [(ax.get_xlabel(), ax.get_ylabel()) for ax in axes] == [("$x_1$", "$x_2$")] * 2
    fig.clf()
    ax = fig.add_subplot(xlabel="radius")
    assert plot_data(X, y, ax=ax).get_xlabel() == "radius", "a label the caller set is kept"
    plt.close(fig)
    if torch.cuda.is_available():
        model = model.cuda()
        plot_model(X, y, model, steps=10)
        assert next(model.parameters()).is_cuda
        plt.close("all")


def test_set_default_changes_the_style():
    """(That importing helpers changes no style is checked in a fresh process by
    test_helpers_core.test_import_does_no_work.)"""
    before = list(matplotlib.rcParams["figure.figsize"])
    with matplotlib.rc_context():                 # puts the style back afterwards
        set_default(figsize=(3, 3))
        assert list(matplotlib.rcParams["figure.figsize"]) == [3, 3]
    assert list(matplotlib.rcParams["figure.figsize"]) == before


def test_every_class_has_a_visible_colour_in_the_regions_and_the_points():
    """Lesson 5's decision regions: with a diverging map the middle class of three came out near-white."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    from helpers.plot import class_colours
    for n in (2, 3, 4, 8, 10, 15, 30):
        colours = [to_rgb(c) for c in class_colours(n)]
        assert len(set(colours)) == n, f"{n} classes need {n} different colours"
        if n > 10:
            continue
        luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in colours]
        assert max(luminance) < 0.75, f"{n} classes: a colour too pale to see on white ({max(luminance):.2f})"
    model = nn.Sequential(nn.Linear(2, 3))
    X, y = gen(n_per_class=10, n_classes=3)
    fig, ax = plt.subplots()
    plot_model(X, y, model, ax=ax, steps=10)
    fig.canvas.draw()   # a scatter's colours are computed when it is drawn
    regions, points = ax.collections[0], ax.collections[-1]
    assert [tuple(c[:3]) for c in regions.get_facecolor()] == [to_rgb(c) for c in class_colours(3)]
    assert {tuple(c[:3]) for c in points.get_facecolor()} == {to_rgb(c) for c in class_colours(3)}
    plt.close(fig)
