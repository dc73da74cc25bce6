"""helpers.checks resists the cheap tricks: patched comparison helpers and always-equal objects."""
import math

import numpy as np
import pytest
import torch

from helpers.checks import assert_close, assert_finite, assert_tensor, forbid


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 5.0


class FakeTensor(torch.Tensor):
    def __eq__(self, other):
        return torch.tensor(True)


def test_close_values_pass_and_wrong_values_fail():
    assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
    with pytest.raises(AssertionError, match="flat index 1: got 2.1, expected 2"):
        assert_close(torch.tensor([1.0, 2.1]), torch.tensor([1.0, 2.0]))


def test_shape_mismatch_is_reported():
    with pytest.raises(AssertionError, match=r"shape \(2, 1\), got \(1, 2\)"):
        assert_close(torch.ones(1, 2), torch.ones(2, 1))


def test_nan_and_inf_are_never_close():
    for bad in (float("nan"), float("inf")):
        with pytest.raises(AssertionError, match="non-finite"):
            assert_close(torch.tensor([bad]), torch.tensor([bad]))
        with pytest.raises(AssertionError, match="non-finite"):
            assert_finite(torch.tensor([0.0, bad]))


def test_look_alikes_are_rejected():
    with pytest.raises(AssertionError, match="tensor or a number"):
        assert_close(AlwaysEqual(), 5.0)
    with pytest.raises(AssertionError, match="torch.Tensor, got FakeTensor"):
        assert_tensor(torch.zeros(2).as_subclass(FakeTensor))
    with pytest.raises(AssertionError, match="dtype torch.float32"):
        assert_tensor(torch.zeros(2, dtype=torch.float64), dtype=torch.float32)


def test_patched_library_comparisons_change_nothing(monkeypatch):
    always = lambda *a, **k: True  # noqa: E731
    for owner, name in ((torch, "allclose"), (torch, "equal"), (np, "allclose"), (math, "isclose")):
        monkeypatch.setattr(owner, name, always)
    monkeypatch.setattr(torch.testing, "assert_close", lambda *a, **k: None)
    monkeypatch.setattr(torch.Tensor, "__eq__", lambda *a: torch.tensor(True))
    with pytest.raises(AssertionError):
        assert_close(torch.tensor([1.0]), torch.tensor([2.0]))


def test_forbid_blocks_then_restores():
    original = torch.softmax
    with forbid("torch.softmax", "torch.nn.functional.cross_entropy", "torch.Tensor.softmax"):
        with pytest.raises(AssertionError, match="must not call torch.softmax"):
            torch.softmax(torch.zeros(2), dim=0)
        with pytest.raises(AssertionError, match="torch.Tensor.softmax"):
            torch.zeros(2).softmax(dim=0)
    assert torch.softmax is original
    assert torch.zeros(2).softmax(dim=0).tolist() == [0.5, 0.5]


def test_checks_publish_what_they_saw_only_when_grading(monkeypatch, capsys):
    from helpers import checks
    seen = []
    monkeypatch.setattr(checks, "sink", None)
    checks.observe(torch.tensor([1.0]), "quiet")            # outside grading: nothing, no error
    monkeypatch.setattr(checks, "sink", seen.append)
    assert checks.observe(torch.tensor([[1.0, 2.0]]), "w", atol=0.1) is None   # no value shown
    checks.assert_tensor(torch.zeros(2), shape=(2,), dtype=torch.float32, name="z")
    with pytest.raises(AssertionError, match="must hold"):
        checks.check(False, "must hold")
    assert [(r["fn"], r["name"]) for r in seen] == [("observe", "w"), ("assert_tensor", "z"), ("check", "must hold")]
    assert seen[0]["value"] == {"kind": "array", "shape": [1, 2], "values": [1.0, 2.0]} and seen[0]["atol"] == 0.1
    assert seen[1]["value"] == {"kind": "meta", "type": "Tensor", "shape": [2], "dtype": "torch.float32"}
    assert seen[2]["value"]["values"] == [0.0]


def test_warnings_go_to_stdout(monkeypatch, capsys):
    import warnings
    from helpers import checks
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    checks.warnings_to_stdout()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("careful")
    out, err = capsys.readouterr()
    assert "UserWarning: careful" in out and err == ""


def test_counting_counts_calls_and_restores():
    from helpers.checks import counting
    original = torch.autograd.backward
    with counting("torch.autograd.backward", "torch.autograd.grad") as calls:
        x = torch.tensor(2.0, requires_grad=True)
        (x ** 2).backward()
        torch.autograd.grad(x ** 3, x)
    assert calls == {"torch.autograd.backward": 1, "torch.autograd.grad": 1}
    assert torch.autograd.backward is original and float(x.grad) == 4.0
