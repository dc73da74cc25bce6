"""helpers.regression: synthetic data, the minibatch iterator, linreg, squared_loss and sgd."""
import pytest
import torch

from helpers import data_iter, linreg, sgd, squared_loss, synthetic_data


def g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_synthetic_data_shapes_and_model():
    X, y = synthetic_data([2.0, -3.4], 4.2, 1000, generator=g())
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    residual = y - (X @ torch.tensor([[2.0], [-3.4]]) + 4.2)
    assert abs(residual.mean().item()) < 0.002
    assert abs(residual.std().item() - 0.01) < 0.001
    assert abs(X.mean().item()) < 0.1 and abs(X.std().item() - 1) < 0.05


def test_synthetic_data_noise_and_tensor_weights():
    X, y = synthetic_data(torch.tensor([1.0, 0.0, -1.0]), -2, 5000, noise=0.5, generator=g(1))
    assert X.shape == (5000, 3)
    residual = y.reshape(-1) - (X[:, 0] - X[:, 2] - 2)
    assert abs(residual.std().item() - 0.5) < 0.02


def test_synthetic_data_seeding():
    a = synthetic_data([1.0, 2.0], 0.5, 50, generator=g(3))
    b = synthetic_data([1.0, 2.0], 0.5, 50, generator=g(3))
    c = synthetic_data([1.0, 2.0], 0.5, 50, generator=g(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    state = torch.get_rng_state()
    synthetic_data([1.0], 0.0, 10, generator=g(5))
    assert torch.equal(torch.get_rng_state(), state), "a given generator must leave the global one alone"


def test_data_iter_short_last_batch_and_every_example_once():
    X = torch.arange(23, dtype=torch.float32).reshape(-1, 1)
    y = torch.arange(23) * 10
    batches = list(data_iter(5, X, y, generator=g()))
    assert [len(xb) for xb, _ in batches] == [5, 5, 5, 5, 3]
    seen = torch.cat([xb.reshape(-1) for xb, _ in batches]).long()
    assert sorted(seen.tolist()) == list(range(23))
    assert seen.tolist() != list(range(23)), "the order should be shuffled"
    for xb, yb in batches:   # rows of X and y stay paired
        assert torch.equal(yb, xb.reshape(-1).long() * 10)
    assert batches[0][0].shape == (5, 1) and batches[0][1].shape == (5,)


def test_data_iter_exact_division_and_batch_larger_than_data():
    X, y = torch.randn(20, 2), torch.randn(20, 1)
    assert [len(xb) for xb, _ in data_iter(10, X, y)] == [10, 10]
    assert [len(xb) for xb, _ in data_iter(64, X, y)] == [20]
    with pytest.raises(ValueError):
        list(data_iter(0, X, y))
    with pytest.raises(ValueError):
        list(data_iter(5, X, y[:5]))


def test_data_iter_seeding_and_fresh_order_each_epoch():
    X, y = torch.arange(30.0).reshape(-1, 1), torch.zeros(30)
    order = lambda it: torch.cat([xb.reshape(-1) for xb, _ in it]).tolist()  # noqa: E731
    assert order(data_iter(4, X, y, generator=g(7))) == order(data_iter(4, X, y, generator=g(7)))
    gen = g(7)
    assert order(data_iter(4, X, y, generator=gen)) != order(data_iter(4, X, y, generator=gen))


def test_linreg_shape_and_value():
    X = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]])
    out = linreg(X, torch.tensor([[2.0], [-3.4]]), torch.tensor([4.2]))
    assert out.shape == (3, 1)
    assert torch.allclose(out, torch.tensor([[-0.6], [13.6], [4.2]]))


@pytest.mark.parametrize("shape_hat,shape_y", [((4, 1), (4,)), ((4,), (4, 1)), ((4, 1), (4, 1)), ((4,), (4,))])
def test_squared_loss_is_shape_safe(shape_hat, shape_y):
    y_hat = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(shape_hat)
    y = torch.tensor([1.0, 0.0, 4.0, 7.0]).reshape(shape_y)
    loss = squared_loss(y_hat, y)
    assert loss.shape == (4,), "one loss per example, never broadcast to (n, n)"
    assert loss.tolist() == [0.0, 2.0, 0.5, 4.5]


def test_squared_loss_sum_matches_mse():
    y_hat, y = torch.randn(50, 1, generator=g()), torch.randn(50, generator=g(1))
    mse = torch.nn.functional.mse_loss(y_hat.reshape(-1), y)
    assert torch.allclose(squared_loss(y_hat, y).sum() / 50, mse / 2)


def _params():
    w = torch.tensor([[1.0], [2.0]], requires_grad=True)
    b = torch.tensor([0.5], requires_grad=True)
    w.grad = torch.tensor([[4.0], [-8.0]])
    b.grad = torch.tensor([2.0])
    return w, b


def test_sgd_updates_in_place_and_zeroes_grads():
    w, b = _params()
    w_ptr, b_ptr = w.data_ptr(), b.data_ptr()
    sgd([w, b], lr=0.5, batch_size=4)
    assert torch.allclose(w.detach(), torch.tensor([[0.5], [3.0]]))   # 1 - 0.5·4/4, 2 + 0.5·8/4
    assert torch.allclose(b.detach(), torch.tensor([0.25]))
    assert w.data_ptr() == w_ptr and b.data_ptr() == b_ptr, "the update must be in place"
    assert w.grad.abs().sum().item() == 0 and b.grad.abs().sum().item() == 0


def test_sgd_builds_no_graph():
    w, b = _params()
    sgd([w, b], lr=0.1, batch_size=2)
    for p in (w, b):
        assert p.is_leaf and p.requires_grad and p.grad_fn is None and not p.grad.requires_grad
    assert torch.is_grad_enabled()


def test_sgd_step_recovers_parameters_in_a_training_loop():
    gen = g(2)
    X, y = synthetic_data([2.0, -3.4], 4.2, 1000, generator=gen)
    w = torch.normal(0, 0.01, (2, 1), generator=gen).requires_grad_()
    b = torch.zeros(1, requires_grad=True)
    for _ in range(3):
        for xb, yb in data_iter(10, X, y, generator=gen):
            squared_loss(linreg(xb, w, b), yb).sum().backward()
            sgd([w, b], lr=0.03, batch_size=len(xb))
    assert torch.allclose(w.detach().reshape(-1), torch.tensor([2.0, -3.4]), atol=0.01)
    assert abs(b.item() - 4.2) < 0.01
