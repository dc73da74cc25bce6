"""helpers.make_classification: shapes, balance, class means and spread, bias column, seeding."""
import pytest
import torch

from helpers import make_classification


def gen(seed=0, **kw):
    return make_classification(generator=torch.Generator().manual_seed(seed), **kw)


def test_shapes_dtypes_and_balance():
    X, y = gen(n_per_class=50, n_features=4, n_classes=3)
    assert X.shape == (150, 4) and X.dtype == torch.float32
    assert y.shape == (150,) and y.dtype == torch.int64
    assert torch.bincount(y).tolist() == [50, 50, 50]


def test_class_means_are_spaced_and_centred():
    X, y = gen(n_per_class=4000, n_classes=3, dispersion=(6, 2))
    means = torch.stack([X[y == c].mean(0) for c in range(3)])
    assert torch.allclose(means, torch.tensor([[-6.0, -6.0], [0.0, 0.0], [6.0, 6.0]]), atol=0.15)
    stds = torch.stack([X[y == c].std(0) for c in range(3)])
    assert torch.allclose(stds, torch.full((3, 2), 2.0), atol=0.1)


def test_bias_column_and_seed():
    X, _ = gen(n_per_class=5, bias=True)
    assert X.shape == (15, 3) and X[:, -1].tolist() == [1.0] * 15
    assert torch.equal(gen(3)[0], gen(3)[0]) and not torch.equal(gen(3)[0], gen(4)[0])


def test_bad_arguments():
    with pytest.raises(ValueError):
        make_classification(n_classes=1)
