"""Checks for the assignments' test cells: they teach in the student's notebook and hand what
they saw to the grader.

Two kinds, one per region of a test cell:

* visible checks (`assert_close`, `assert_tensor`, `check`) assert, with a message that says what
  was expected, so the student's own run and the Validate button teach;
* hidden checks (`observe`, `outcome`) never compare anything in the kernel: they only hand a
  value over (`outcome`: predictions on held-out sets whose targets only the grader has).

Under `make grade` every check also *observes*: it publishes the value the student's code gave as
plain JSON (a display output of type `OBSERVATION_MIME`). The grader runs the same test cells on
the instructor's solution, in a run of its own, and decides each test outside the student's
kernel by comparing the two lists (grading/verdict.py), with the reference's tolerances. Code in
the kernel can change what a check here does, but a forged observation still has to equal what
the solution produced on the hidden inputs. Outside grading an observation costs nothing.

The comparisons use plain Python (exact types, `abs(a - b)`), so the visible messages stay right
when a submission has replaced `torch.allclose` or returns an object whose `__eq__` says True.
Used by every assignment in source/.
"""
import contextlib
import importlib
import math
import os
import sys
import warnings

import torch

OBSERVATION_MIME = "application/vnd.course.observation+json"
OBSERVE_ENV = "COURSE_OBSERVE"      # set by the grader in the kernels it runs
MAX_VALUES = 20_000                 # numbers one observation may carry

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


def _number(v):
    """A float as JSON can carry it: NaN and infinities become strings."""
    v = float(v)
    return v if v == v and abs(v) != math.inf else repr(v)


def encode(value):
    """The JSON form of a value a check saw (what the grader compares): tensors, arrays and
    numbers as shape + flat values, strings, None, sequences, exceptions (type, and whether it
    was raised), and anything else by its type name."""
    if isinstance(value, bool) or type(value) in _FLOAT_TYPES:
        return {"kind": "array", "shape": [], "values": [_number(value)]}
    if isinstance(value, torch.Tensor):
        flat = list(_flatten(_tolist(value.detach().cpu())))
        shape = list(_shape(value))
    elif type(value).__module__ == "numpy" and hasattr(value, "tolist") and hasattr(value, "shape"):
        flat, shape = list(_flatten(value.tolist())), [int(s) for s in value.shape]
    elif isinstance(value, str):
        return {"kind": "str", "value": value}
    elif value is None:
        return {"kind": "none"}
    elif isinstance(value, (list, tuple)):
        return {"kind": "seq", "items": [encode(v) for v in value]}
    elif isinstance(value, BaseException):
        return {"kind": "exception", "type": type(value).__name__, "raised": value.__traceback__ is not None}
    else:
        return {"kind": "object", "type": type(value).__name__}
    if len(flat) > MAX_VALUES:
        raise ValueError(f"an observation holds at most {MAX_VALUES} numbers, got {len(flat)}: observe a summary")
    return {"kind": "array", "shape": shape, "values": [_number(v) for v in flat]}


def _publish(record):
    from IPython.display import display
    display({OBSERVATION_MIME: record}, raw=True)


# Where observations go: published to the grader when it runs this kernel, else nowhere
# (tests/inprocess.py collects them in a list instead).
sink = _publish if os.environ.get(OBSERVE_ENV) == "1" else None


def _emit(fn, name, value, atol=None, rtol=None):
    if sink is not None:
        sink({"fn": fn, "name": str(name), "value": value, "atol": atol, "rtol": rtol})


def observe(value, name, atol=1e-6, rtol=1e-5):
    """Hidden check: hand `value` to the grader, which compares it with the solution's value
    within atol + rtol·|expected| (the reference's tolerances count, never the submission's).
    It asserts nothing in the kernel and returns nothing (a cell ending in it shows no value, which
    nbgrader would read as partial credit); `name` says what was checked, without giving inputs away."""
    _emit("observe", name, encode(value), atol, rtol)


# Where the grader writes the hidden held-out sets' inputs, in the kernel's working folder
# (grading/outcome.py); their targets never enter a kernel.
HELDOUT_DIR = "heldout"
OUTCOME_METRICS = {"accuracy": True, "mse": False}   # metric: whether higher is better


def heldout(name):
    """The inputs of the grader's hidden held-out sets `name`: a list of {key: tensor}, one per set.

    Under `make grade` the grader puts them (inputs only) in the kernel's folder; anywhere else
    there are none and the list is empty. Used in the hidden region of outcome tests."""
    path = os.path.join(HELDOUT_DIR, f"{name}.pt")
    if not os.path.isfile(path):
        return []
    return torch.load(path, weights_only=True)


def outcome(name, predictions, metric="accuracy", full_marks=None, no_marks=None, over="worst"):
    """Hidden check: hand the predictions made on each of `heldout(name)`'s sets (a list, one
    flat tensor per set, in its order) to the grader, which scores them against targets this
    kernel never sees: full marks when `metric` reaches `full_marks`, none at `no_marks`, linear
    in between. `over="worst"`: the worst set decides (every set must clear the bar);
    `over="mean"`: the metric averaged over the sets decides (for small sets, such as splits of
    iris, where one set's luck is a larger share than the threshold's margin). The reference's
    thresholds count."""
    if over not in ("worst", "mean"):
        raise ValueError(f"over should be 'worst' or 'mean', got {over!r}")
    if metric not in OUTCOME_METRICS:
        raise ValueError(f"metric should be one of {', '.join(OUTCOME_METRICS)}, got {metric!r}")
    if type(full_marks) not in _FLOAT_TYPES or type(no_marks) not in _FLOAT_TYPES \
            or (full_marks > no_marks) != OUTCOME_METRICS[metric]:
        better = "above" if OUTCOME_METRICS[metric] else "below"
        raise ValueError(f"outcome needs numbers full_marks {better} no_marks for {metric}")
    if sink is not None:
        sink({"fn": "outcome", "name": str(name), "value": encode([torch.as_tensor(p).flatten() for p in predictions]),
              "metric": metric, "full_marks": float(full_marks), "no_marks": float(no_marks), "over": over})


def check(condition, message):
    """Visible check of a property: `assert condition, message`, and an observation of it.

    A property such as "the gradient was reset" can be guessed: the same test cell must also
    observe values that only a correct answer produces."""
    _emit("check", message, encode(bool(condition)), 0, 0)
    assert condition, message


def assert_tensor(x, shape=None, dtype=None, name="result"):
    """Fail unless `x` is exactly a torch.Tensor (no subclass or look-alike) of `shape` and `dtype`."""
    meta = {"kind": "meta", "type": type(x).__name__}
    if type(x) is torch.Tensor:
        if shape is not None:
            meta["shape"] = list(_shape(x))
        if dtype is not None:
            meta["dtype"] = str(x.dtype)
    _emit("assert_tensor", name, meta, 0, 0)
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
    _emit("assert_close", name, encode(actual), atol, rtol)
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
    values = to_floats(x, name)
    _emit("check", f"{name} is finite", encode(all(v == v and abs(v) != math.inf for v in values)), 0, 0)
    for i, v in enumerate(values):
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


@contextlib.contextmanager
def counting(*dotted_names):
    """Count the calls of the named library functions while the block runs (they still work):
    yields {name: count}. E.g. `with counting("torch.autograd.backward") as calls:` checks that an
    answer used autograd."""
    calls = dict.fromkeys(dotted_names, 0)
    saved = []
    for dotted in dotted_names:
        owner, attr = _resolve(dotted)
        original = getattr(owner, attr)

        def counted(*args, _name=dotted, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        saved.append((owner, attr, original))
        setattr(owner, attr, counted)
    try:
        yield calls
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def warnings_to_stdout():
    """Show warnings as ordinary output (stdout) instead of on stderr.

    nbgrader's Validate counts any stderr output of a test cell as a failure, so a library
    warning (e.g. `torch.tensor(t)` on a tensor) would fail a correct answer there. The grader
    never scores a warning; this makes Validate agree. Called in each assignment's set-up cell."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(warnings.formatwarning(message, category, filename, lineno, line).rstrip(), file=sys.stdout)
    warnings.showwarning = show
