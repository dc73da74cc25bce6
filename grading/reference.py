"""The reference: what each test cell observes when it runs against the instructor's solution.

The grader runs source/<assignment>/ (solutions and hidden tests) in a sandboxed kernel of its
own, set up as a student's, and keeps each test cell's observations. They are cached in the
gradebook's database under a key made of the tests' hash and the environment (Python, torch), so
a class is graded against one reference however often `make grade` runs, and a change of the
tests, of torch, or of the held-out sets (their generator or the course's secret:
grading/outcome.py) computes a new one. The held-out targets are never cached with it. A solution that fails its own tests, or a test cell that
observes nothing, or a solution that does not clear one of its outcome tests' thresholds on every
hidden set, stops the run with an error for the instructor before any student is scored.
"""
import hashlib
import platform
from pathlib import Path

import nbformat

from . import cells, outcome, records
from .course import GradingError
from .gradebook import course_of
from .verdict import HIDDEN_CHECKS, observations

TOO_GUESSABLE = "it has no hidden check (observe) of a value that only a correct answer produces"


def key(root, name, heldout=""):
    """The cache key: the tests' hash, the versions that change computed values, and the
    held-out sets' fingerprint (outcome.HeldOut.fingerprint)."""
    import numpy
    import torch
    parts = [records.tests_hash(root, name), platform.python_version(), torch.__version__, numpy.__version__, heldout]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def from_run(notebooks, held=None):
    """Return ({notebook: {grade_id: [observation, ...]}}, [problems]) from the executed source
    notebooks ({notebook: nb}) and the assignment's held-out sets (outcome.HeldOut); any problem
    means this reference must not be used."""
    reference, problems = {}, []
    for notebook, nb in sorted(notebooks.items()):
        tests = reference[notebook] = {}
        for cell in nb.cells:
            if not cells.is_test(cell):
                continue
            grade_id = cells.grade_id(cell)
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            found = observations(cell)
            if errors:
                problems.append(f"{notebook}: the solution fails its own test {grade_id}: "
                                f"{errors[0].get('ename')}: {errors[0].get('evalue')}")
            elif None in found:
                problems.append(f"{notebook}: test {grade_id} published an observation the grader cannot read")
            elif not any(r["fn"] in HIDDEN_CHECKS for r in found):
                problems.append(f"{notebook}: test {grade_id} cannot be graded: {TOO_GUESSABLE}")
            tests[grade_id] = found
    if not problems:
        problems += outcome.problems(reference, held or outcome.HeldOut())
    return reference, problems


def source_notebooks(root, name):
    """{notebook: the instructor's notebook with its outputs cleared}, as the reference run needs it."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    return {path.stem: dict(ClearOutputPreprocessor().preprocess(nbformat.read(path, as_version=4), {})[0])
            for path in sorted((Path(root) / "source" / name).glob("*.ipynb"))}


def load(course, name, key):
    """The cached reference observations of `name` under `key` in `course` (a Course or its
    folder), or None."""
    with course_of(course).gradebook() as gb:
        return records.reference(gb.db, name, key)


def accept(course, name, key, notebooks, problems, stop, held=None):
    """Check and cache the reference run's observations; a solution that fails its own tests
    stops the run (`stop` kills the workers) before any student is recorded. Cached under `key`."""
    ref, faults = from_run({k: nbformat.from_dict(v) for k, v in notebooks.items()}, held)
    if problems or faults:
        stop()
        raise GradingError(
            f"the instructor's solution of {name} could not serve as the reference, so no student was "
            f"graded: " + "; ".join(problems + faults))
    with course_of(course).gradebook() as gb:
        records.set_reference(gb.db, name, key, ref)
        gb.db.commit()
    return ref
