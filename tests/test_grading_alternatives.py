"""The correct answers of tests/alternatives/ earn full marks under `make grade`'s grader too.

One class per assignment: student k hands in, for every answer cell, that cell's k-th alternative
(cycling where a cell has fewer), so every alternative is graded in a sandboxed kernel, judged
against the reference run of the solution, exactly as a real class would be.
"""
import os

import nbformat
import pytest

from conftest import ASSIGNMENTS
from grading import demo, grader, grades, outcome, sandbox
from inprocess import TEST_SECRET
from test_alternatives import load

pytestmark = pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                                reason="bubblewrap (bwrap) is not installed")


def write_alternatives_class(root, name):
    """Write one submission per rank of alternative; return the students' names."""
    by_cell = {}
    for entry in load(name).values():
        by_cell.setdefault(entry["cell"], []).append(entry["code"])
    ranks = max(len(codes) for codes in by_cell.values())
    students = [f"alt{k}" for k in range(ranks)]
    for filename, _, release_nb in demo.notebooks(root, name):
        for k, student in enumerate(students):
            answers = {cell: codes[k % len(codes)] for cell, codes in by_cell.items()}
            target = root / "submitted" / student / name / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(demo.fill(release_nb, answers), target)
    return students


def check_alternatives_class(name, tmp_path, gradebook, monkeypatch):
    # The hidden sets of the in-process tests (whose margins tests/test_alternatives.py checks),
    # not a fresh secret per run: with a fresh one, CI met an A5 answer at 0.948 against 0.95 and
    # an A3 answer losing 3 points once each; that spread is the open work named in
    # docs/outcome-tests.md, not a coin this test should toss on every run.
    monkeypatch.setenv(outcome.SECRET_ENV, TEST_SECRET)
    root = demo.make_course(tmp_path / "course", [name], gradebook)
    students = write_alternatives_class(root, name)
    status = grader.grade(root, name, grader.Settings(workers=2), out=lambda *_: None, progress=False)
    scores = grades.scores(root, name)
    full = demo.expected_scores(name)["alice"]
    got = {s: (scores[s][0], status[s]) for s in students}
    assert got == dict.fromkeys(students, (full, "graded"))


for _name in ASSIGNMENTS:
    globals()[f"TestAlternativesClass_{_name}"] = type(f"TestAlternativesClass_{_name}", (), {
        "test_every_alternative_gets_full_marks": lambda self, tmp_path, gradebook, monkeypatch, _n=_name:
            check_alternatives_class(_n, tmp_path, gradebook, monkeypatch)})
