"""helpers.logistic: a stable sigmoid (values, extremes, gradient), accuracy, two-class data."""
import warnings

import pytest
import torch

from helpers import accuracy, sigmoid
from helpers.logistic import best_bce, make_binary


def test_sigmoid_matches_torch_and_keeps_shape_and_dtype():
    z = torch.randn(4, 5, generator=torch.Generator().manual_seed(0)) * 10
    out = sigmoid(z)
    assert out.shape == (4, 5) and out.dtype == torch.float32
    assert torch.allclose(out, torch.sigmoid(z), atol=1e-7, rtol=0)
    z64 = z.double()
    assert sigmoid(z64).dtype == torch.float64
    assert torch.allclose(sigmoid(z64), torch.sigmoid(z64), atol=1e-15, rtol=0)
    assert sigmoid(0.0).item() == 0.5 and sigmoid(torch.tensor(0)).item() == 0.5


def test_sigmoid_is_stable_for_huge_inputs_with_a_finite_gradient():
    z = torch.tensor([-1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sigmoid(z)
        out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(z.grad).all()
    assert out[0].item() == 0.0 and out[-1].item() == 1.0
    expected = torch.sigmoid(z.detach())
    assert torch.allclose(z.grad, expected * (1 - expected), atol=1e-7, rtol=0)
    # the formula the helper avoids: its gradient is NaN at -1000
    naive = torch.tensor(-1000.0, requires_grad=True)
    (1 / (1 + torch.exp(-naive))).backward()
    assert torch.isnan(naive.grad)


def test_accuracy_binary_probabilities_logits_and_shapes():
    y = torch.tensor([0.0, 1.0, 1.0, 0.0])
    probs = torch.tensor([0.2, 0.7, 0.4, 0.6])
    assert accuracy(probs, y) == 0.5
    assert accuracy(probs.reshape(4, 1), y) == 0.5
    assert accuracy(probs, y.reshape(4, 1).long()) == 0.5
    logits = torch.tensor([[-1.0], [0.3], [2.0], [-0.1]])
    assert accuracy(logits, y, threshold=0.0) == 1.0
    assert accuracy(logits, y) == 0.75       # 0.3 is a positive logit but below 0.5
    assert isinstance(accuracy(probs, y), float)


def test_accuracy_multiclass_argmax_and_length_check():
    scores = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 3.0, 2.0]])
    assert accuracy(scores, torch.tensor([0, 2, 2])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        accuracy(torch.zeros(3), torch.zeros(4))


def test_make_binary_shapes_labels_and_seed():
    X, y = make_binary(n_per_class=30, dispersion=(4.0, 0.5), generator=torch.Generator().manual_seed(1))
    assert X.shape == (60, 2) and X.dtype == torch.float32
    assert y.shape == (60,) and y.dtype == torch.float32 and y.sum().item() == 30
    # well separated: the line x1 + x2 = 0 splits the classes
    assert accuracy(X.sum(dim=1), y, threshold=0.0) == 1.0
    X2, _ = make_binary(n_per_class=30, dispersion=(4.0, 0.5), generator=torch.Generator().manual_seed(1))
    assert torch.equal(X, X2)


def test_best_bce_is_the_minimum():
    X, y = make_binary(n_per_class=100, dispersion=(1.5, 1.0), generator=torch.Generator().manual_seed(0))
    best = best_bce(X, y)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=200, line_search_fn="strong_wolfe")
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(X), y.reshape(-1, 1))
        loss.backward()
        return loss

    optimizer.step(closure)
    assert 0.1 < best <= closure().item() + 1e-6 and abs(best - closure().item()) < 1e-4
    assert loss_fn(torch.zeros(200, 1), y.reshape(-1, 1)).item() > best   # w = 0 is worse
