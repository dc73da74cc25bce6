"""`make autograde`: plain `nbgrader autograde`, one student after another, without the sandbox.

It judges inside the student's kernel ("the cell raised no error"), so a submission can forge it,
and the hidden checks, which only observe, never fail there. Kept to compare with `make grade`.
"""
from pathlib import Path

from . import records, status
from .course import in_dir, require_class, students
from .gradebook import Course
from .prepare import read_submitted, whole_problem
from .release import ensure_in_gradebook


def autograde(root, name, only=None):
    """Autograde assignment `name` for every submitting student, one after another.

    Returns {student: status}: 'graded', or 'error: <why>' for a submission that could not be
    graded (the others are graded all the same). What makes a submission ungradable is decided
    by `make grade`'s own checks (grading/prepare.py), so both report it in the same words."""
    root = Path(root).resolve()
    require_class(root, name)
    expected = sorted((root / "source" / name).glob("*.ipynb"))
    outcome = {}
    with Course(root) as course, in_dir(root):
        ensure_in_gradebook(course, name)
        for student in only or students(root, name):
            folder = root / "submitted" / student / name
            whole = whole_problem(folder)
            problems = {"": whole} if whole else {
                nb.stem: problem for nb in expected for _, problem in [read_submitted(folder / nb.name)] if problem}
            if problems:
                outcome[student] = str(status.combine(problems))
                _record(course, name, student, outcome[student], zero=True)
                continue
            result = course.api.autograde(name, student, force=True, create=True)
            outcome[student] = str(status.GRADED if result["success"] else status.error(_last_error(result)))
            _record(course, name, student, outcome[student])
    return outcome


def _record(course, name, student, outcome, zero=False):
    """Write a student's record; with `zero`, give a broken submission an explicit zero in the
    same transaction (never a stale earlier autograde); manual grades are kept, as grading/record.py
    keeps them."""
    with course.gradebook() as gb:
        if zero:
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(name, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
        records.write(gb.db, name, student, outcome, records.submission_hash(course.root, name, student),
                      records.tests_hash(course.root, name))
        gb.db.commit()


def _last_error(result):
    text = (result.get("error") or result.get("log") or "nbgrader failed").strip().splitlines()
    errors = [line for line in text if "ERROR" in line or "Error" in line]
    return (errors or text)[-1]
