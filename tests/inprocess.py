"""Run an instructor notebook's code cells in this process, with some answer cells replaced, and
judge its test cells as `make grade` does.

Used by tests/test_mistakes.py and tests/test_alternatives.py to check, in one process and
without a kernel per case, that each typical wrong answer fails exactly the test cells it should
and each correct one passes them all. The observations the checks publish (helpers/checks.py)
are collected here instead of being sent by a kernel, and grading/verdict.py judges them against
those of the unchanged solution: the same code that decides under `make grade`.

An assignment with held-out sets (source/<name>/heldout.py) gets them here as the grading process
makes them (grading/outcome.py), from TEST_SECRET unless COURSE_HELDOUT_SECRET names another: the
inputs in a scratch folder that `helpers.checks.heldout` reads, the targets attached to the
reference's outcome observations.
"""
import contextlib
import functools
import io
import os
import tempfile
import traceback
from pathlib import Path

import nbformat

from grading import cells, outcome, verdict
from helpers import checks

TEST_SECRET = "in-process tests"   # the in-process stand-in for a course's secret


@functools.lru_cache(maxsize=None)
def heldout(folder):
    """(HeldOut, the folder holding its inputs) for the assignment whose source folder is `folder`."""
    folder = Path(folder).resolve()
    held = outcome.generate(folder, folder.name, os.environ.get(outcome.SECRET_ENV) or TEST_SECRET)
    scratch = tempfile.mkdtemp(prefix="heldout-")
    held.write(scratch)
    return held, str(Path(scratch) / outcome.FOLDER)


@contextlib.contextmanager
def _cwd(path):
    old = os.getcwd()
    if path is not None:
        os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def execute(nb, answers=None, cwd=None):
    """Execute `nb`'s code cells in order in a fresh namespace, answer cells named in `answers`
    ({grade_id: source}) replaced; return {test grade_id: the cell with its outputs}: printed
    text, observations and errors, as a kernel would have given them."""
    import matplotlib
    matplotlib.use("Agg")  # plots in assignments must not need a display here
    answers = answers or {}
    namespace = {"__name__": "__main__"}
    tests = {}
    saved, saved_dir = checks.sink, checks.HELDOUT_DIR
    if cwd is not None and (Path(cwd) / outcome.GENERATOR).exists():
        checks.HELDOUT_DIR = heldout(str(cwd))[1]
    try:
        with _cwd(cwd):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                grade_id = cells.grade_id(cell) or f"cell {index}"
                source = answers.get(grade_id, cell.source) if cells.is_answer(cell) else cell.source
                outputs = []
                checks.sink = lambda record: outputs.append(nbformat.v4.new_output(
                    "display_data", data={checks.OBSERVATION_MIME: record}))
                printed = io.StringIO()
                try:
                    with contextlib.redirect_stdout(printed):
                        exec(compile(source, f"<{grade_id}>", "exec"), namespace)
                except Exception as err:  # a student's error, whatever its type, fails the cell
                    outputs.append(nbformat.v4.new_output(
                        "error", ename=type(err).__name__, evalue=str(err),
                        traceback=traceback.format_exception_only(type(err), err)))
                if printed.getvalue():
                    outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue()))
                if cells.is_test(cell):
                    tests[grade_id] = nbformat.from_dict(dict(cell, source=source, outputs=outputs))
    finally:
        checks.sink, checks.HELDOUT_DIR = saved, saved_dir
    return tests


def reference(nb, cwd=None):
    """The solution's observations per test cell ({grade_id: [observation]}), outcome checks
    carrying their held-out targets."""
    ref = {grade_id: verdict.observations(cell) for grade_id, cell in execute(nb, cwd=cwd).items()}
    if cwd is not None and (Path(cwd) / outcome.GENERATOR).exists():
        ref = outcome.attach({"nb": ref}, heldout(str(cwd))[0])["nb"]
    return ref


def run_cells(nb, answers=None, cwd=None, ref=None):
    """Judge `nb` with `answers` in place of its solutions; return {test grade_id: '' if it
    passed, else the verdict's message}."""
    ref = reference(nb, cwd) if ref is None else ref
    return {grade_id: verdict.judge(ref.get(grade_id, []), cell).message
            for grade_id, cell in execute(nb, answers, cwd).items()}
