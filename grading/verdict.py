"""Where a score is decided: a test cell's observations compared with the solution's, here, in
the grading process.

A test cell run in the student's kernel publishes one observation per check (helpers/checks.py):
plain JSON, read from the cell's outputs and never executed or unpickled. The reference is the
list the same cell published when the grader ran the instructor's solution (grading/reference.py).
A test passes when the cell raised no error and gave exactly the reference's observations, each
equal within the reference's tolerance. Everything that decides (tolerances, which checks are
hidden, the messages) comes from the reference, never from the submission.

What a failing test may tell the student: for a visible check, what it got and what was expected
(the visible test shows both anyway); for a hidden check, its name and the kind of difference
(shape, type, values), never the hidden inputs or expected values.

An outcome check (helpers.checks.outcome) is scored instead by grading/outcome.py, against the
held-out targets the grading process attached to the reference: it may earn a share of the
points, and says the metric reached and the thresholds, never a target.

The points follow from the verdict here too (`Verdict.points`: the test's maximum times the share
it earns); grading/record.py only writes them into the gradebook, where nbgrader's late-penalty
plugin takes its penalty off the notebook's total (grading/late.py).
"""
import math
from dataclasses import dataclass


from . import outcome

# What helpers/checks.py publishes and reads (written here too, so that the grading process never
# imports helpers and torch for two strings; tests/test_verdict.py keeps the pairs equal)
OBSERVATION_MIME = "application/vnd.course.observation+json"
OBSERVE_ENV = "COURSE_OBSERVE"

FAILED = "TestFailed"   # the ename of the error output that carries a failed test's verdict
GRADER_ERRORS = {"NotRun", "CellTimeoutError", "DeadKernelError", "OutputCapped"}   # written by the grader itself
HIDDEN = "observe"   # the hidden check of a value: it asserts nothing in the kernel
HIDDEN_CHECKS = {HIDDEN, outcome.FN}   # the checks allowed in a hidden region
KINDS = {"array", "meta", "str", "none", "seq", "exception", "object"}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str = ""
    partial: float = 0.0   # the share of the points a failed test still earns (an outcome in its band)

    @property
    def fraction(self):
        """The share of the test's points it earns."""
        return 1.0 if self.passed else self.partial

    def points(self, max_score):
        """The points of a test worth `max_score` (what the gradebook's auto_score holds), to the
        hundredth; the late penalty is nbgrader's, taken off the notebook's total (grading/late.py)."""
        return round(max_score * self.fraction, 2)


def observations(cell):
    """The observations a cell published, in order (malformed ones are kept as None)."""
    found = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "display_data" and OBSERVATION_MIME in output.get("data", {}):
            record = output["data"][OBSERVATION_MIME]
            found.append(record if isinstance(record, dict) else None)
    return found


def strip_observations(cell):
    """Remove the observation outputs from a cell (they are for the grader, not for people)."""
    cell["outputs"] = [o for o in cell.get("outputs", []) if not (
        o.get("output_type") == "display_data" and OBSERVATION_MIME in o.get("data", {}))]


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _as_number(v):
    """A JSON number (or the string encode() writes for NaN and the infinities) as a float; else None."""
    return float(v) if isinstance(v, (int, float)) or v in ("nan", "inf", "-inf") else None


def difference(expected, got, atol, rtol):
    """Return None when `got` matches `expected`, else (value-free reason, reason with values)."""
    if not isinstance(got, dict) or got.get("kind") not in KINDS:
        return "not a value the check could read", "not a value the check could read"
    kind = expected["kind"]
    if got["kind"] != kind:
        name = {"array": "a number or tensor", "meta": "a tensor", "seq": "a sequence"}.get(kind, f"a {kind}")
        return f"expected {name}, got a {got['kind']}", f"expected {name}, got a {got['kind']}"
    if kind == "array":
        if got.get("shape") != expected["shape"]:
            why = f"wrong shape: got {tuple(got.get('shape') or ())}, expected {tuple(expected['shape'])}"
            return "wrong shape", why
        want, have = expected["values"], got.get("values")
        if not isinstance(have, list) or len(have) != len(want):
            return "wrong number of values", "wrong number of values"
        for i, (e, g) in enumerate(zip(want, have)):
            e, g = _as_number(e), _as_number(g)
            if g is None:
                return "not a number", f"not a number at flat index {i}"
            if e != e or abs(e) == math.inf:       # a non-finite reference is matched exactly
                ok = (g != g) if e != e else g == e
            else:
                ok = g == g and abs(g) != math.inf and abs(g - e) <= atol + rtol * abs(e)
            if not ok:
                return "wrong values", (f"wrong at flat index {i}: got {g:.6g}, expected {e:.6g}"
                                        if len(want) > 1 else f"got {g:.6g}, expected {e:.6g}")
        return None
    if kind == "meta":
        for key in ("type", "shape", "dtype"):
            if key in expected and got.get(key) != expected[key]:
                what = {"type": "type", "shape": "shape", "dtype": "dtype"}[key]
                return f"wrong {what}", f"wrong {what}: got {got.get(key)}, expected {expected[key]}"
        return None
    if kind == "seq":
        items, want = got.get("items"), expected["items"]
        if not isinstance(items, list) or len(items) != len(want):
            return "wrong number of items", f"expected {len(want)} items"
        for i, (e, g) in enumerate(zip(want, items)):
            why = difference(e, g, atol, rtol)
            if why:
                return f"item {i}: {why[0]}", f"item {i}: {why[1]}"
        return None
    if kind == "exception":
        if got.get("type") != expected["type"]:
            return "wrong exception", f"expected a {expected['type']}, got a {got.get('type')}"
        if got.get("raised") is not expected["raised"]:
            return ("an exception that was not raised" if expected["raised"] else "an exception that was raised",
                    f"expected the {expected['type']} that the operation raised, got one built by hand"
                    if expected["raised"] else "expected an exception object, not a raised one")
        return None
    if kind == "str" and got.get("value") != expected["value"]:
        return "wrong text", f"got {got.get('value')!r}, expected {expected['value']!r}"
    if kind == "object" and got.get("type") != expected["type"]:
        return "wrong type", f"got a {got.get('type')}, expected a {expected['type']}"
    return None


def judge(reference, cell):
    """The verdict on one test cell of a submission, given the reference's observations."""
    got = observations(cell)
    errors = _errors(cell)
    visible = sum(1 for r in reference if r["fn"] not in HIDDEN_CHECKS)
    share, shortfall = 1.0, ""
    for index, expected in enumerate(reference):
        hidden = expected["fn"] in HIDDEN_CHECKS
        if index >= len(got):
            if errors:
                return Verdict(False, _error_message(errors[0], hidden or index >= visible))
            return Verdict(False, f"the test stopped before its check {expected['name']!r}")
        record = got[index]
        if expected["fn"] == outcome.FN:
            if not isinstance(record, dict) or record.get("fn") != outcome.FN:
                return Verdict(False, f"a hidden check failed: {expected['name']} (no predictions)")
            part, why = outcome.score(expected, record)
            if part < share:
                share, shortfall = part, why
            continue
        why = difference(expected["value"], record.get("value") if isinstance(record, dict) else None,
                         expected.get("atol") or 0, expected.get("rtol") or 0)
        if why:
            if hidden:
                return Verdict(False, f"a hidden check failed: {expected['name']} ({why[0]})")
            if expected["fn"] == "check":   # a property: the student's own message (its f-string
                name = record.get("name")    # shows their values; it reaches only their feedback)
                return Verdict(False, name[:500] if isinstance(name, str) and name else expected["name"])
            return Verdict(False, f"{expected['name']}: {why[1]}")
    if len(got) > len(reference):
        return Verdict(False, f"the test published {len(got)} observations, the solution {len(reference)}")
    if errors:
        return Verdict(False, _error_message(errors[0], len(reference) > visible))
    if share < 1:
        return Verdict(False, shortfall, partial=round(share, 4))
    return Verdict(True)


def _error_message(error, in_hidden):
    """What to say about an error in a test cell: in a hidden region only its type (its message
    could quote hidden inputs), unless the grader wrote it."""
    ename = error.get("ename", "Error")
    if in_hidden and ename not in GRADER_ERRORS:
        return f"a hidden check failed: your code raised {ename}"
    return f"{ename}: {error.get('evalue', '')}".rstrip(": ")
