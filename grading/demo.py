"""The demo class: four students per assignment, graded by the instructor's whole pipeline.

    python -m grading demo [ASSIGNMENT ...]

Students (built from source/ and release/, so they follow every change to an assignment):
    alice  the full solution              -> the autograded maximum
    bob    the untouched release copy     -> 0
    carol  one specific wrong answer      -> an exact partial score
    dave   a notebook that is not JSON    -> reported as an error, never a silent 0

Each assignment's wrong answer, with its expected scores, is `DEMO` in tests/mistakes/<name>.py,
next to the list of typical mistakes that its tests must catch.
"""
import re
import runpy
import shutil
import time
from pathlib import Path

import nbformat

from . import course, grader

MISTAKES_DIR = course.REPO / "tests" / "mistakes"
STUDENTS = ("alice", "bob", "carol", "dave")
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def load_spec(name):
    """Return the mistakes spec of assignment `name`: {'MISTAKES': {...}, 'DEMO': {...}}."""
    path = MISTAKES_DIR / f"{name}.py"
    if not path.exists():
        raise course.GradingError(f"no mistakes spec for {name}: write {path}")
    return runpy.run_path(str(path))


def strip_solution_markers(source):
    """Return a source cell's solution with the BEGIN/END SOLUTION lines removed."""
    return "\n".join(line for line in source.splitlines() if not _MARKER.match(line))


def solution_cells(source_nb):
    """Return {grade_id: the solution's text} for each answer cell of an instructor notebook."""
    return {c.metadata.nbgrader["grade_id"]: strip_solution_markers(c.source)
            for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def fill(release_nb, answers):
    """Return a copy of a student notebook with the answer cells named in `answers` filled in."""
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and cell.metadata.nbgrader.get("solution"):
            cell.source = answers[grade_id]
    return nb


def notebooks(root, name):
    """Return [(notebook file name, instructor notebook, student notebook)] for `name`."""
    root = Path(root)
    out = []
    for path in sorted((root / "source" / name).glob("*.ipynb")):
        release = root / "release" / name / path.name
        out.append((path.name, nbformat.read(path, as_version=4), nbformat.read(release, as_version=4)))
    return out


def mistake_answers(spec, mistake):
    """Return {grade_id: code} for one named mistake of a spec."""
    entry = spec["MISTAKES"][mistake]
    return {entry["cell"]: entry["code"]}


def write_class(root, name):
    """Write the four demo students' submissions of `name` under root/submitted/."""
    spec = load_spec(name)
    for filename, source_nb, release_nb in notebooks(root, name):
        answers = solution_cells(source_nb)
        wrong = dict(answers, **mistake_answers(spec, spec["DEMO"]["wrong"]))
        for student, nb in (("alice", fill(release_nb, answers)), ("bob", release_nb),
                            ("carol", fill(release_nb, wrong)), ("dave", None)):
            target = Path(root) / "submitted" / student / name / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            if nb is None:
                text = nbformat.writes(fill(release_nb, answers))
                target.write_text(text[: len(text) // 2])   # cut off mid-file: not valid JSON
            else:
                nbformat.write(nb, target)


def make_course(target, names, gradebook=None):
    """Create a fresh scratch course at `target`: config and the assignments (source/, release/),
    with a copy of `gradebook` if given (one that already records these assignments)."""
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(course.REPO / "nbgrader_config.py", target)
    for folder in ("source", "release"):
        for name in names:
            shutil.copytree(course.REPO / folder / name, target / folder / name)
    if gradebook is not None:
        shutil.copy(gradebook, target / "gradebook.db")
    return target


def expected_scores(name):
    """Return the spec's expected autograded scores of the demo students of `name`."""
    return load_spec(name)["DEMO"]["scores"]


def run(names=None, target=None, out=print, settings=None, gradebook=None):
    """Grade the demo class of each assignment in `names`; return {(name, student): (score, max, status)}."""
    names = names or course.assignments()
    target = make_course(target or course.REPO / "build" / "demo", names, gradebook)
    started = time.perf_counter()
    results = {}
    for name in names:
        write_class(target, name)
        status = grader.grade(target, name, settings or grader.Settings(), out=out, progress=False)
        course.feedback(target, name)
        scores = course.scores(target, name)
        for student in STUDENTS:
            score, maximum = scores.get(student, (0.0, None))
            results[(name, student)] = (score, maximum, status.get(student, "no submission"))
    course.export(target, "grades.csv")
    out(course.format_table(results))
    out(f"\ngraded {len(results)} submissions in {time.perf_counter() - started:.1f} s; "
        f"feedback in {target / 'feedback'}, grades in {target / 'grades.csv'}")
    return results
