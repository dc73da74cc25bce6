"""helpers.train: fit learns, records its history, restores the model's mode, is repeatable;
target_function is defined on x > 0 and matches the formula."""
import math

import matplotlib
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import fit, plot_history, target_function

matplotlib.use("Agg")


def _problem(seed=0, n=64):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return X, y


def _setup(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Dropout(dropout), nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    X, y = _problem(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=False)
    return model, optimizer, loader


def test_fit_decreases_the_loss_and_changes_parameters():
    model, optimizer, loader = _setup()
    before = [p.detach().clone() for p in model.parameters()]
    history = fit(model, nn.MSELoss(), optimizer, loader, epochs=30, progress=False)
    assert set(history) == {"loss"} and len(history["loss"]) == 30
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_fit_training_loss_is_the_per_sample_mean_of_the_epoch():
    model, optimizer, loader = _setup()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)   # nothing moves: loss is exact
    X, y = loader.dataset.tensors
    with torch.no_grad():
        expected = float(nn.MSELoss()(model(X), y))
    history = fit(model, nn.MSELoss(), optimizer, loader, epochs=2, progress=False)
    assert history["loss"] == pytest.approx([expected, expected], rel=1e-5)


def test_fit_records_validation_loss_and_metrics_per_epoch():
    model, optimizer, loader = _setup()
    Xv, yv = _problem(seed=1, n=40)
    val_loader = DataLoader(TensorDataset(Xv, yv), batch_size=7)
    calls = []

    def mae(out, target):
        calls.append(out.shape)
        return (out - target).abs().mean()

    history = fit(model, nn.MSELoss(), optimizer, loader, epochs=5, val_loader=val_loader,
                  metrics={"mae": mae}, progress=False)
    assert set(history) == {"loss", "val_loss", "val_mae"}
    assert all(len(v) == 5 for v in history.values())
    assert all(type(v) is float for values in history.values() for v in values)
    assert calls == [torch.Size([40, 1])] * 5, "a metric sees the whole validation set at once"
    with torch.no_grad():
        out = model(Xv)
    assert history["val_loss"][-1] == pytest.approx(float(nn.MSELoss()(out, yv)), rel=1e-5)
    assert history["val_mae"][-1] == pytest.approx(float((out - yv).abs().mean()), rel=1e-5)
    assert history["val_loss"][-1] < history["val_loss"][0]


@pytest.mark.parametrize("start_in_train_mode", [True, False])
def test_fit_restores_the_models_mode_and_evaluates_without_dropout(start_in_train_mode):
    model, optimizer, loader = _setup(dropout=0.5)
    model.train(start_in_train_mode)
    Xv, yv = _problem(seed=2, n=16)
    val_loader = DataLoader(TensorDataset(Xv, yv), batch_size=16)
    history = fit(model, nn.MSELoss(), optimizer, loader, epochs=2, val_loader=val_loader, progress=False)
    assert model.training is start_in_train_mode
    assert all(m.training is start_in_train_mode for m in model.modules())
    model.eval()
    with torch.no_grad():
        assert history["val_loss"][-1] == pytest.approx(float(nn.MSELoss()(model(Xv), yv)), rel=1e-5)


def test_fit_is_repeatable_under_a_seed_and_leaves_the_data_alone():
    runs = []
    for _ in range(2):
        model, optimizer, _ = _setup(seed=3)
        X, y = _problem(3)
        X_before = X.clone()
        g = torch.Generator().manual_seed(5)
        loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, generator=g)
        history = fit(model, nn.MSELoss(), optimizer, loader, epochs=4, progress=False)
        assert torch.equal(X, X_before)
        runs.append((history, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def test_fit_shows_a_progress_bar(capsys):
    model, optimizer, loader = _setup()
    fit(model, nn.MSELoss(), optimizer, loader, epochs=3)
    err = capsys.readouterr().err
    assert "epochs" in err and "3/3" in err


def test_plot_history_draws_losses_and_metrics():
    history = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.6, 0.4], "val_accuracy": [0.3, 0.6, 0.9]}
    axes = plot_history(history)
    assert len(axes) == 2
    assert len(axes[0].lines) == 2 and len(axes[1].lines) == 1
    assert [ax.get_ylabel() for ax in axes] == ["loss", "val accuracy"], "every panel names its y axis"
    two = plot_history({**history, "val_mae": [0.5, 0.4, 0.3]})
    assert two[1].get_ylabel() == "metric" and len(two[1].lines) == 2
    assert len(plot_history({"loss": [3.0, 2.0]})) == 1
    matplotlib.pyplot.close("all")


def test_target_function_matches_the_formula_on_its_domain():
    x = torch.tensor([0.05, 0.5, 1.0, math.e, 10.0, 100.0])
    lo = target_function(x, generator=torch.Generator().manual_seed(0))
    for xi, yi in zip(x.tolist(), lo.tolist()):
        inner = xi + xi ** 2 - math.log10(xi + 1)
        assert inner > xi ** 2 > 0
        base = math.log(xi) / xi + 0.65 * abs(math.log(inner))
        assert base - 1e-5 <= yi < base + 0.05 + 1e-5
    assert lo.shape == x.shape and lo.dtype == torch.float32
    assert target_function(torch.tensor(1.0), generator=torch.Generator().manual_seed(0)).shape == ()


def test_target_function_noise_is_uniform_and_seeded():
    x = torch.full((20000,), 2.0)
    a = target_function(x, generator=torch.Generator().manual_seed(1))
    b = target_function(x, generator=torch.Generator().manual_seed(1))
    c = target_function(x, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    base = math.log(2) / 2 + 0.65 * abs(math.log(6 - math.log10(3)))
    noise = (a - base) / 0.05
    assert float(noise.min()) > -1e-3 and float(noise.max()) < 1 + 1e-3
    assert abs(float(noise.mean()) - 0.5) < 0.01 and abs(float(noise.var()) - 1 / 12) < 0.005


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_target_function_refuses_x_outside_its_domain(bad):
    with pytest.raises(ValueError, match="x > 0"):
        target_function(torch.tensor([1.0, bad]))
