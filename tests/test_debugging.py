"""helpers.debugging: deep MLPs, their initialisation, the scale of their activations, gradient
norms per layer, the first non-finite loss and a bare training loop (lesson 9)."""
import math

import pytest
import torch
from torch import nn

from helpers import (activation_rms, first_nonfinite, grad_norms, init_normal_, kaiming_std, mlp, train_steps,
                     xavier_std)


def test_mlp_builds_the_layers_asked_for():
    model = mlp([5, 7, 3, 2], activation=nn.Tanh, dropout=0.25)
    kinds = [type(m) for m in model]
    assert kinds == [nn.Linear, nn.Tanh, nn.Dropout, nn.Linear, nn.Tanh, nn.Dropout, nn.Linear]
    assert [tuple(m.weight.shape) for m in model if isinstance(m, nn.Linear)] == [(7, 5), (3, 7), (2, 3)]
    assert model(torch.zeros(4, 5)).shape == (4, 2)
    assert [type(m) for m in mlp([3, 1])] == [nn.Linear]
    with pytest.raises(ValueError):
        mlp([3])


def test_init_normal_sets_the_spread_per_layer_and_zero_biases_and_is_repeatable():
    model = mlp([400, 300, 100])
    first = model[0].weight
    assert init_normal_(model, kaiming_std, generator=torch.Generator().manual_seed(0)) is model
    assert model[0].weight is first, "in place, the same parameters"
    for layer, fan_in in zip([model[0], model[2]], [400, 300]):
        assert abs(layer.weight.std().item() / math.sqrt(2 / fan_in) - 1) < 0.03
        assert torch.equal(layer.bias, torch.zeros_like(layer.bias))
    again = init_normal_(mlp([400, 300, 100]), kaiming_std, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))
    init_normal_(model, 0.0)
    assert all(float(p.detach().abs().max()) == 0.0 for p in model.parameters())
    assert xavier_std(100, 300) == pytest.approx(math.sqrt(2 / 400))


@pytest.mark.parametrize("std, direction", [(kaiming_std, "kept"), (xavier_std, "shrinks"), (0.2, "explodes")])
def test_activation_rms_shows_kaiming_keeps_the_scale_through_depth(std, direction):
    torch.manual_seed(0)
    model = init_normal_(mlp([256] * 21), std, generator=torch.Generator().manual_seed(1))
    x = torch.randn(512, 256, generator=torch.Generator().manual_seed(2))
    rms = activation_rms(model, x)
    assert len(rms) == 19 and not any(p.grad is not None for p in model.parameters())
    ratio = rms[-1] / rms[0]
    assert {"kept": 0.5 < ratio < 2, "shrinks": ratio < 1e-2, "explodes": ratio > 1e2}[direction], ratio


def test_grad_norms_reads_each_layers_weight_gradient():
    torch.manual_seed(0)
    model = mlp([3, 4, 2])
    assert grad_norms(model) == [0.0, 0.0], "no gradient yet"
    model(torch.randn(8, 3)).pow(2).sum().backward()
    assert grad_norms(model) == [pytest.approx(model[0].weight.grad.norm().item()),
                                 pytest.approx(model[2].weight.grad.norm().item())]
    assert all(v > 0 for v in grad_norms(model))


def test_first_nonfinite_finds_nan_and_infinities():
    assert first_nonfinite([1.0, 2.0, 3.0]) is None
    assert first_nonfinite([1.0, float("inf"), float("nan")]) == 1
    assert first_nonfinite(torch.tensor([0.5, 0.2, float("nan")])) == 2
    assert first_nonfinite([-float("inf")]) == 0
    assert first_nonfinite([]) is None


def test_train_steps_learns_and_without_zero_grad_it_accumulates():
    def run(zero_grad):
        torch.manual_seed(0)
        model = nn.Linear(2, 1)
        X = torch.randn(32, 2, generator=torch.Generator().manual_seed(3))
        y = X @ torch.tensor([[1.0], [-1.0]])
        return model, train_steps(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), X, y, 30,
                                  zero_grad=zero_grad)

    model, losses = run(True)
    assert len(losses) == 30 and all(type(v) is float for v in losses)
    assert losses[-1] < 0.01 * losses[0] and model.training
    _, accumulated = run(False)
    assert accumulated[:2] == losses[:2], "the first two steps agree (one gradient, then the same two)"
    assert accumulated[-1] > 10 * losses[-1], "summed gradients overshoot"
