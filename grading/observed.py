"""How each failing test failed, kept for the instructor: a compact, value-safe signature per
failing test of each student, written in the transaction that records the student's scores.

The observations a test cell publishes are stripped from the autograded notebook
(grading/record.py), so the report's mistake clusters (grading/clusters.py) and the hints in the
feedback read this record instead. A signature says where the test first failed, in the grader's
own words, and how:

    {"at": 2, "check": "the gradient after zeroing", "why": "wrong values", "fp": {"q": [0, 0, 3]}}

`at` is the index of the check in the test cell, `check` the reference's name for it (never the
student's message), `why` the value-free reason grading/verdict.py gives, and `fp` a fingerprint of
what the student's code gave: for numbers, the difference from the solution's value measured in
the check's own tolerance (atol + rtol·|expected|) and rounded, so that two answers that give the
same values within tolerance have fingerprints at most one unit apart (`same`); for a wrong
shape the shape; for text a digest; for a type the type's name. Neither a hidden input nor an
expected value can be read back from it, and none of it is ever shown to a student: the feedback
shows only a hint the instructor wrote (grading/hints.py). An error in the test cell is kept by
its type only; an outcome check (held-out predictions) by its band: no points, or some.

The time a submission's notebooks took to run (from the executed cells' timing metadata) is kept
in the same row, for the report's "time to grade".
"""
import hashlib
import json
import math
from datetime import datetime

from sqlalchemy import text

from . import cells, outcome, records, verdict

SAMPLE = 256         # numbers kept per array fingerprint (evenly spaced when there are more)
CAP = 10 ** 15       # a deviation beyond this many tolerances counts as this many


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _deviation(e, g, atol, rtol):
    """g - e in units of the check's tolerance at e, rounded; a string for what is not finite."""
    e, g = verdict._as_number(e), verdict._as_number(g)
    if g is None:
        return "not a number"
    if e is None or e != e or abs(e) == math.inf or g != g or abs(g) == math.inf:
        return "nan" if g != g else ("inf" if g > 0 else "-inf") if abs(g) == math.inf else "finite"
    unit = atol + rtol * abs(e) or 1e-12 * max(1.0, abs(e))
    return max(-CAP, min(CAP, round((g - e) / unit)))


def fingerprint(expected, got, atol=0.0, rtol=0.0):
    """A value-safe fingerprint of the value `got` a check saw, next to the reference's `expected`
    (both as helpers.checks.encode writes them)."""
    if not isinstance(got, dict) or got.get("kind") not in verdict.KINDS:
        return {"unreadable": True}
    kind = expected.get("kind")
    if got["kind"] != kind:
        return {"kind": got["kind"]}
    if kind == "array":
        want, have = expected.get("values") or [], got.get("values")
        if got.get("shape") != expected.get("shape") or not isinstance(have, list) or len(have) != len(want):
            return {"shape": got.get("shape") if isinstance(got.get("shape"), list) else None,
                    "n": len(have) if isinstance(have, list) else None}
        picks = range(len(want)) if len(want) <= SAMPLE else \
            sorted({round(i * (len(want) - 1) / (SAMPLE - 1)) for i in range(SAMPLE)})
        return {"q": [_deviation(want[i], have[i], atol, rtol) for i in picks]}
    if kind == "seq":
        items, want = got.get("items"), expected.get("items") or []
        if not isinstance(items, list) or len(items) != len(want):
            return {"n": len(items) if isinstance(items, list) else None}
        return {"items": [fingerprint(e, g, atol, rtol) for e, g in zip(want, items)]}
    if kind == "meta":
        return {"meta": [got.get(k) for k in ("type", "shape", "dtype")]}
    if kind == "exception":
        return {"type": got.get("type"), "raised": got.get("raised")}
    if kind == "str":
        return {"digest": _digest(got.get("value"))}
    if kind == "object":
        return {"type": got.get("type")}
    return {}


def same(a, b):
    """Whether two fingerprints (or signatures) say the same: equal, numbers within one unit."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(a - b) <= 1
    return a == b


def signature(reference, cell):
    """How one test cell failed against its reference observations (grading/verdict.py's order
    of checks), or None when it passed."""
    if verdict.judge(reference, cell).passed:
        return None
    got = verdict.observations(cell)
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    raised = {"why": f"raised {errors[0].get('ename', 'Error')}"} if errors else {"why": "stopped"}
    band = None
    for index, expected in enumerate(reference):
        here = {"at": index, "check": expected.get("name")}
        if index >= len(got):
            return {**here, **raised}
        record = got[index]
        if expected.get("fn") == outcome.FN:
            if not isinstance(record, dict) or record.get("fn") != outcome.FN:
                return {**here, "why": "no predictions"}
            share, _ = outcome.score(expected, record) if "targets" in expected else (1.0, "")
            if share < 1 and band is None:
                band = {**here, "why": "outcome", "fp": {"band": "some points" if share > 0 else "no points"}}
            continue
        value = record.get("value") if isinstance(record, dict) else None
        atol, rtol = expected.get("atol") or 0, expected.get("rtol") or 0
        why = verdict.difference(expected["value"], value, atol, rtol)
        if why:
            return {**here, "why": why[0], "fp": fingerprint(expected["value"], value, atol, rtol)}
    if len(got) > len(reference):
        return {"at": len(reference), "check": None, "why": "more observations than the solution"}
    if errors:
        return {"at": len(reference), "check": None, **raised}
    return band or {"at": None, "check": None, "why": "failed"}


def failures(notebooks, ref):
    """{grade_id: signature} of every failing test of a student's executed notebooks
    ({notebook: nb}), judged against `ref` ({notebook: {grade_id: [observation]}})."""
    out = {}
    for notebook, nb in notebooks.items():
        tests = (ref or {}).get(notebook, {})
        for cell in cells.test_cells(nb):
            try:
                found = signature(tests.get(cells.grade_id(cell), []), cell)
            except Exception as err:   # what a submission published must never stop its recording
                found = {"at": None, "check": None, "why": f"unreadable ({type(err).__name__})"}
            if found is not None:
                out[cells.grade_id(cell)] = found
    return out


def _when(cell, key):
    try:
        return datetime.fromisoformat(cell.get("metadata", {}).get("execution", {})[key].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def seconds(notebooks):
    """The seconds the notebooks' cells took to run, first input to last reply (nbclient's timing
    metadata), summed over the notebooks; None when none was recorded."""
    total, found = 0.0, False
    for nb in notebooks.values():
        starts = [t for c in nb.cells if (t := _when(c, "iopub.execute_input"))]
        ends = [t for c in nb.cells if (t := _when(c, "shell.execute_reply"))]
        if starts and ends:
            total += max(0.0, (max(ends) - min(starts)).total_seconds())
            found = True
    return round(total, 3) if found else None


def write(session, name, student, found, took=None):
    """Record a student's failures inside the caller's transaction (committed with the scores)."""
    records.ensure_tables(session)   # course_observed is one of them
    session.execute(text(
        "INSERT INTO course_observed (assignment, student, seconds, failures) VALUES (:a, :s, :t, :f) "
        "ON CONFLICT (assignment, student) DO UPDATE SET seconds = excluded.seconds, failures = excluded.failures"),
        {"a": name, "s": student, "t": took, "f": json.dumps(found, sort_keys=True)})


def read(session, name):
    """{student: (seconds or None, {grade_id: signature})} of assignment `name`."""
    records.ensure_tables(session)   # course_observed is one of them
    rows = session.execute(text("SELECT student, seconds, failures FROM course_observed WHERE assignment = :a"),
                           {"a": name}).fetchall()
    return {student: (took, json.loads(found)) for student, took, found in rows}
