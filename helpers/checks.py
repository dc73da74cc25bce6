"""Assertions for the assignments' test cells.

They compare values in plain Python (exact types, `abs(a - b)`), so they keep working when a
submission has replaced `torch.allclose`, `torch.equal`, `numpy.allclose` or `math.isclose`, or
returns an object whose `__eq__` always says True. Messages say what was expected, so a failing
visible test teaches. Used by every assignment in source/.
"""
import contextlib
import importlib
import math

import torch

_tolist = torch.Tensor.tolist
_FLOAT_TYPES = (float, int)


def _flatten(values):
    if isinstance(values, list):
        for v in values:
            yield from _flatten(v)
    else:
        yield values


def _shape(x):
    return tuple(int(s) for s in torch.Size.__iter__(x.shape))


def assert_tensor(x, shape=None, dtype=None, name="result"):
    """Fail unless `x` is exactly a torch.Tensor (no subclass or look-alike) of `shape` and `dtype`."""
    assert type(x) is torch.Tensor, f"{name} should be a torch.Tensor, got {type(x).__name__}"
    if shape is not None:
        got = _shape(x)
        assert got == tuple(shape), f"{name} should have shape {tuple(shape)}, got {got}"
    if dtype is not None:
        assert x.dtype is dtype, f"{name} should have dtype {dtype}, got {x.dtype}"


def to_floats(x, name="result"):
    """Return the values of a tensor or a Python number as a flat list of Python floats."""
    if type(x) is torch.Tensor:
        return [float(v) for v in _flatten(_tolist(x.detach()))]
    if type(x) in _FLOAT_TYPES or type(x) is bool:
        return [float(x)]
    raise AssertionError(f"{name} should be a tensor or a number, got {type(x).__name__}")


def assert_close(actual, expected, atol=1e-6, rtol=1e-5, name="result"):
    """Fail unless `actual` has `expected`'s shape and |actual - expected| <= atol + rtol·|expected|.

    NaN and infinity never count as close, not even to themselves."""
    if type(expected) is torch.Tensor and type(actual) is torch.Tensor:
        want, got = _shape(expected), _shape(actual)
        assert got == want, f"{name} should have shape {want}, got {got}"
    a, e = to_floats(actual, name), to_floats(expected, "expected")
    assert len(a) == len(e), f"{name} should have {len(e)} values, got {len(a)}"
    for i, (x, y) in enumerate(zip(a, e)):
        assert x == x and abs(x) != math.inf, f"{name} has a non-finite value {x} at flat index {i}"
        assert abs(x - y) <= atol + rtol * abs(y), (
            f"{name} is wrong at flat index {i}: got {x:.6g}, expected {y:.6g}")


def assert_finite(x, name="result"):
    """Fail if any value of `x` is NaN or infinite."""
    for i, v in enumerate(to_floats(x, name)):
        assert v == v and abs(v) != math.inf, f"{name} has a non-finite value {v} at flat index {i}"


def _resolve(dotted):
    module_name, _, attr = dotted.rpartition(".")
    try:
        return importlib.import_module(module_name), attr
    except ModuleNotFoundError:
        owner_module, _, owner = module_name.rpartition(".")
        return getattr(importlib.import_module(owner_module), owner), attr


@contextlib.contextmanager
def forbid(*dotted_names):
    """Make the named library functions raise while the block runs, then put them back.

    A from-scratch exercise is tested inside `with forbid("torch.softmax", ...)` so that an
    answer that calls the function it should replace fails with a clear message."""
    saved = []
    for dotted in dotted_names:
        owner, attr = _resolve(dotted)
        original = getattr(owner, attr)

        def refuse(*args, _name=dotted, **kwargs):
            raise AssertionError(f"this exercise must not call {_name}: write it from scratch")

        saved.append((owner, attr, original))
        setattr(owner, attr, refuse)
    try:
        yield
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)
