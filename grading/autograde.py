"""`make autograde`: plain `nbgrader autograde`, one student after another, without the sandbox.

It judges inside the student's kernel ("the cell raised no error"), so a submission can forge it,
and the hidden checks, which only observe, never fail there. Kept to compare with `make grade`.
"""
from pathlib import Path

from . import records
from .course import in_dir, nbgrader_api, require_class, students, submission_problem
from .release import ensure_in_gradebook
from .submission import refused


def autograde(root, name, only=None):
    """Autograde assignment `name` for every submitting student, one after another.

    Returns {student: status}: 'graded', or 'error: <why>' for a submission that could not be
    graded (the others are graded all the same)."""
    root = Path(root).resolve()
    require_class(root, name)
    ensure_in_gradebook(root, name)
    api = nbgrader_api(root)
    expected = [nb.stem for nb in (root / "source" / name).glob("*.ipynb")]
    status = {}
    with in_dir(root):
        for student in only or students(root, name):
            folder = root / "submitted" / student / name
            problems = [f"the submission holds what is not a file: {', '.join(sorted(bad)[:3])}"
                        for bad in [refused(folder)] if bad]
            for nb in expected if not problems else ():
                path = folder / f"{nb}.ipynb"
                why = submission_problem(path) if path.exists() else ""
                if not path.exists():
                    problems.append(f"missing notebook {nb}.ipynb")
                elif why:
                    problems.append(f"{nb}.ipynb is {why}")
            if problems:
                status[student] = "error: " + "; ".join(problems)
                _record(api, root, name, student, status[student], zero=True)
                continue
            result = api.autograde(name, student, force=True, create=True)
            status[student] = "graded" if result["success"] else "error: " + _last_error(result)
            _record(api, root, name, student, status[student])
    return status


def _record(api, root, name, student, status, zero=False):
    """Write a student's record; with `zero`, give a broken submission an explicit zero in the
    same transaction (never a stale earlier autograde); manual grades are kept, as grading/record.py
    keeps them."""
    from nbgrader.api import Gradebook
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        if zero:
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(name, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
        records.write(gb.db, name, student, status, records.submission_hash(root, name, student),
                      records.tests_hash(root, name))
        gb.db.commit()


def _last_error(result):
    text = (result.get("error") or result.get("log") or "nbgrader failed").strip().splitlines()
    errors = [line for line in text if "ERROR" in line or "Error" in line]
    return (errors or text)[-1]
