"""Outcome tests: a model's predictions on held-out sets scored against targets no kernel sees.

An assignment with outcome tests has a generator, source/<assignment>/heldout.py, that only the
grading process runs (it is never copied into a kernel's folder nor released): for each name a
test cell passes to `outcome(name, ...)` (helpers/checks.py), a function `name(seed, k)` returning
hidden set k's (inputs {key: tensor}, targets tensor), and `SETS`, how many sets each name has.
The functions are those the file defines, or takes from another assignment's generator with
`borrow` (below): what it imports from elsewhere (helpers.make_spiral) is not a set. Set k of
`name` is made from the seed HMAC(secret, "<assignment>/<name>/<k>"), where the secret is the
course's own (COURSE_HELDOUT_SECRET, else the git-ignored file .heldout-secret in the course
folder, created on first use): the public student copy cannot reproduce the sets.

The grading process writes the inputs alone into each kernel's folder (heldout/<name>.pt, read by
`helpers.checks.heldout`), keeps the targets, and attaches them to the reference's outcome
observations, in memory only (never to the cached reference), so that grading/verdict.py scores
a submission's predictions with the metric and thresholds the reference's test cell wrote: full
marks at `full_marks` or better, none at `no_marks` or worse, linear in between, the worst set
deciding (or, with over="mean", the metric's mean over the sets). What a student is told: the
metric reached on that set (or the mean) and the thresholds.
"""
import hashlib
import hmac
import io
import os
import runpy
import secrets
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR = "heldout.py"          # in source/<assignment>/: run by the grading process only
FOLDER = "heldout"                # in the kernel's working folder: the inputs, one file per name
SECRET_ENV = "COURSE_HELDOUT_SECRET"
SECRET_FILE = ".heldout-secret"   # in the course folder, git-ignored
FN = "outcome"                    # the observations scored here (helpers.checks.outcome)

# metric: (what it computes, whether higher is better)
METRICS = {"accuracy": ("the share of predictions equal to the target", True),
           "mse": ("the mean squared difference from the target", False)}


def metric_value(metric, predictions, targets):
    """The metric of flat lists of numbers; None when they cannot be compared (length, NaN)."""
    if not isinstance(predictions, list) or len(predictions) != len(targets) or not targets:
        return None
    if any(not isinstance(p, (int, float)) or p != p for p in predictions):
        return None
    if metric == "accuracy":
        return sum(p == t for p, t in zip(predictions, targets)) / len(targets)
    if metric == "mse":
        return sum((p - t) ** 2 for p, t in zip(predictions, targets)) / len(targets)
    raise ValueError(f"unknown metric {metric!r}: one of {', '.join(METRICS)}")


def credit(metric, value, full_marks, no_marks):
    """The share of the points a metric value earns: 1 at full_marks or better, 0 at no_marks or
    worse, linear in between."""
    higher = METRICS[metric][1]
    if value is None:
        return 0.0
    if (value >= full_marks) if higher else (value <= full_marks):
        return 1.0
    if (value <= no_marks) if higher else (value >= no_marks):
        return 0.0
    return (value - no_marks) / (full_marks - no_marks)


def score(expected, got):
    """(share of the points, message or '') for a submission's outcome observation `got`, scored
    with the reference observation `expected` (metric, thresholds and the attached targets).
    The message names the metric reached on the worst set and the thresholds, never a target."""
    metric, full, zero = expected["metric"], expected["full_marks"], expected["no_marks"]
    targets = expected.get("targets")
    if targets is None:
        raise ValueError(f"no held-out targets attached to the outcome check {expected['name']!r}")
    value = got.get("value") if isinstance(got, dict) else None
    items = value.get("items") if isinstance(value, dict) and value.get("kind") == "seq" else None
    if not isinstance(items, list) or len(items) != len(targets):
        return 0.0, (f"{expected['name']}: expected predictions on {len(targets)} hidden sets, "
                     f"got {len(items) if isinstance(items, list) else 'none'}")
    reached = []
    for k, (item, want) in enumerate(zip(items, targets)):
        values = item.get("values") if isinstance(item, dict) and item.get("kind") == "array" else None
        value = metric_value(metric, values, want)
        if value is None:
            return 0.0, (f"{expected['name']}: the predictions on hidden set {k + 1} should be {len(want)} "
                         f"finite numbers, one per held-out point")
        reached.append(value)
    better = "at least" if METRICS[metric][1] else "at most"
    if expected.get("over", "worst") == "mean":
        mean = sum(reached) / len(reached)
        share = credit(metric, mean, full, zero)
        where, bar = f"on average over {len(targets)} hidden sets", "on average"
        reached_value = mean
    else:
        share, k = min((credit(metric, v, full, zero), k) for k, v in enumerate(reached))
        where, bar = f"on hidden set {k + 1} of {len(targets)}", "on every set"
        reached_value = reached[k]
    if share >= 1:
        return 1.0, ""
    return share, (f"{expected['name']}: {metric} {reached_value:.3f} {where} "
                   f"(full marks need {better} {full:g} {bar}, none at {zero:g}): "
                   f"{share:.0%} of the points")


def seed(secret, assignment, name, k):
    digest = hmac.new(secret.encode(), f"{assignment}/{name}/{k}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


def course_secret(root):
    """The course's secret: COURSE_HELDOUT_SECRET, else <root>/.heldout-secret (made on first use,
    readable by its owner only)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = Path(root) / SECRET_FILE
    if not path.exists():   # written whole, then linked into place: two graders agree on one secret
        draft = path.with_name(f"{SECRET_FILE}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_text().strip()
    if not secret:
        raise ValueError(f"{path} is empty: delete it to make a new secret (the hidden sets change)")
    return secret


@dataclass
class HeldOut:
    """The hidden sets of one assignment: inputs (what kernels get) and targets (what they never get)."""
    inputs: dict = field(default_factory=dict)    # {name: [{key: tensor}, ...]}
    targets: dict = field(default_factory=dict)   # {name: [[number, ...], ...]}
    fingerprint: str = ""                         # changes with the secret and with the sets made

    def files(self):
        """{relative path: bytes} to put into a kernel's working folder: the inputs alone."""
        import torch
        out = {}
        for name, sets in self.inputs.items():
            buffer = io.BytesIO()
            torch.save(sets, buffer)
            out[f"{FOLDER}/{name}.pt"] = buffer.getvalue()
        return out

    def write(self, folder):
        """Write the inputs' files under `folder` (what in-process tests use as the kernel's folder)."""
        for relative, data in self.files().items():
            (Path(folder) / relative).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / relative).write_bytes(data)


def generate(source, assignment, secret):
    """Run source/<assignment>/heldout.py (`source` is that folder) with `secret`; an empty HeldOut
    when the assignment has no generator."""
    path = Path(source) / GENERATOR
    if not path.exists():
        return HeldOut()
    import torch
    code = runpy.run_path(str(path))
    sets = code.get("SETS")
    if not isinstance(sets, int) or sets < 1:
        raise ValueError(f"{path}: SETS, the number of hidden sets, should be a positive int")
    names = [n for n, f in code.items() if callable(f) and not n.startswith("_")
             and getattr(f, "__module__", None) == "<run_path>"]
    held = HeldOut()
    for name in names:
        held.inputs[name], held.targets[name] = [], []
        for k in range(sets):
            inputs, targets = code[name](seed(secret, assignment, name, k), k)
            if not isinstance(inputs, dict) or not all(type(v) is torch.Tensor for v in inputs.values()):
                raise ValueError(f"{path}: {name}(seed, k) should return ({{key: tensor}}, targets)")
            held.inputs[name].append(inputs)
            held.targets[name].append([float(v) for v in torch.as_tensor(targets).flatten().tolist()])
    held.fingerprint = _fingerprint(secret, held)
    return held


def _fingerprint(secret, held):
    """A keyed digest of the sets themselves (every input tensor's dtype, shape and bytes, every
    target): it changes with whatever made them, the generator, a module or another assignment's
    generator it borrows (helpers.make_spiral, source/05_spiral_mlp/heldout.py), not only with this
    file's text; keyed by the secret, so it tells nothing about the sets."""
    digest = hmac.new(secret.encode(), b"heldout", hashlib.sha256)
    for name in sorted(held.inputs):
        digest.update(f"\0{name}".encode())
        for inputs, targets in zip(held.inputs[name], held.targets[name]):
            for key in sorted(inputs):
                t = inputs[key].detach().contiguous()
                digest.update(f"\0{key}{t.dtype}{tuple(t.shape)}".encode())
                digest.update(t.cpu().numpy().tobytes())
            digest.update(repr(targets).encode())
    return digest.hexdigest()


def borrow(generator_file, assignment):
    """The namespace of another assignment's generator, source/<assignment>/heldout.py, for a
    generator that makes the same kind of sets (`generator_file`: the borrowing file's __file__):

        globals().update(outcome.borrow(__file__, "05_spiral_mlp"))

    Its functions count as this file's; the sets still follow this assignment's own seeds. The
    lender is read beside the borrower (the course's source/), else from the course repository's
    source/ (a scratch course of one assignment, as `make demo` and the tests build, copies only
    that one)."""
    from .course import REPO
    beside = Path(generator_file).resolve().parent.parent / assignment / GENERATOR
    lender = beside if beside.exists() else REPO / "source" / assignment / GENERATOR
    code = runpy.run_path(str(lender))
    return {name: value for name, value in code.items() if not name.startswith("__")}


def load(root, assignment):
    """The hidden sets of `assignment` in the course at `root` (grading process only)."""
    source = Path(root) / "source" / assignment
    if not (source / GENERATOR).exists():
        return HeldOut()
    return generate(source, assignment, course_secret(root))


def attach(reference, held):
    """A copy of `reference` ({notebook: {grade_id: [observation]}}) whose outcome observations
    carry their targets (in memory only: what verdict.judge scores with)."""
    out = {}
    for notebook, tests in (reference or {}).items():
        out[notebook] = {grade_id: [dict(r, targets=held.targets.get(r["name"])) if r.get("fn") == FN else r
                                    for r in found] for grade_id, found in tests.items()}
    return out


def problems(reference, held):
    """What stops the reference from serving: an outcome check without hidden sets, or one that
    the instructor's own solution does not clear on every set."""
    found = []
    for notebook, tests in (reference or {}).items():
        for grade_id, records in tests.items():
            for r in records:
                if r.get("fn") != FN:
                    continue
                if r.get("name") not in held.targets:
                    found.append(f"{notebook}: test {grade_id} checks the outcome {r.get('name')!r}, which "
                                 f"source/<assignment>/{GENERATOR} does not define")
                    continue
                share, why = score(dict(r, targets=held.targets[r["name"]]), r)
                if share < 1:
                    found.append(f"{notebook}: the solution does not clear its own outcome test {grade_id}: {why}")
    return found
