"""What the gradebook holds, read back: scores, each student's grading status, the grades CSV."""
import csv
import os
import tempfile
from pathlib import Path

from . import records
from .course import GradingError, check_database, db_label, nbgrader_api


def require_gradebook(root):
    """Stop with a clear message when the course has no gradebook yet (nothing was graded), or
    its database server (COURSE_DB_URL) cannot be reached."""
    api = nbgrader_api(root)
    url = api.coursedir.db_url
    if url.startswith("sqlite:///"):
        missing = not Path(url[len("sqlite:///"):]).exists()
        where = url[len("sqlite:///"):]
    else:
        missing, where = not check_database(url), db_label(url)
    if missing:
        raise GradingError(f"no gradebook at {where}: grade a class first "
                           f"(`make grade A=<assignment> COURSE={root}`); nothing was written")
    return api


def load_status(root, name=None):
    """Return the recorded grading status: {assignment: {student: status}} (from the gradebook)."""
    from nbgrader.api import Gradebook
    api = require_gradebook(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        found = records.read(gb.db, name)
        gb.db.commit()
    return {a: {s: r.status for s, r in students.items()} for a, students in found.items()}


EXTRA_COLUMNS = ["autograded_score", "autograded_max", "manual_grading", "status", "own_deadline"]


def export(root, csv_path="grades.csv"):
    """Write nbgrader's CSV export of the gradebook to `csv_path`, sorted by assignment and
    student, plus: the autograded score and maximum; `manual_grading` ('pending' while written
    answers are ungraded, which nbgrader's score then counts as 0, else 'done' or 'none'); and
    the recorded status ('graded', 'error: ...', ...) or 'no submission', so a broken submission
    is never a bare 0; `own_deadline`: the student's own deadline where an extension or
    accommodation moved it (grading/late.py), else empty. Returns the rows as dicts."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.plugins import CsvExportPlugin

    from . import late

    root = Path(root).resolve()
    target = Path(csv_path) if Path(csv_path).is_absolute() else root / csv_path
    api = require_gradebook(root)
    recorded = load_status(root)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.csv")
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            CsvExportPlugin(to=raw, config=api.config).export(gb)
            with open(raw, newline="") as f:
                rows = list(csv.DictReader(f))
            for row in rows:
                try:
                    sub = gb.find_submission(row["assignment"], row["student_id"])
                    default = "graded"
                    manual = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "markdown"
                              or (g.auto_score is None)]
                    row["autograded_score"] = f"{sub.code_score:g}"
                    row["autograded_max"] = f"{sub.max_code_score:g}"
                    row["manual_grading"] = ("none" if not manual else
                                             "pending" if any(g.manual_score is None for g in manual) else "done")
                except MissingEntry:
                    default = "no submission"
                    row.update(autograded_score="", autograded_max="", manual_grading="")
                row["status"] = recorded.get(row["assignment"], {}).get(row["student_id"], default)
                row["own_deadline"] = ""
            for assignment, student in late.extended(gb.db):
                for row in rows:
                    if (row["assignment"], row["student_id"]) == (assignment, student):
                        due = gb.find_assignment(assignment).duedate
                        own = late.own_deadline(gb.db, assignment, student, due)
                        row["own_deadline"] = late.format_time(own) if own else ""
            gb.db.commit()
    rows.sort(key=lambda r: (r["assignment"], r["student_id"]))
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["assignment", "student_id", *EXTRA_COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def scores(root, name):
    """Return {student: (autograded score, autograded maximum)} for `name` from the gradebook."""
    from nbgrader.api import Gradebook
    api = nbgrader_api(root)
    out = {}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        for submission in gb.find_assignment(name).submissions:
            out[submission.student.id] = (submission.code_score, submission.max_code_score)
    return out


def results(root, names, students=None):
    """The results table of `names` as the gradebook holds it: {(assignment, student): (autograded
    score, maximum, status)} for every student who submitted (or each of `students`), 'no
    submission' where there is no record. `make grade` and the demo print it (grading/report.py)."""
    from .course import students as submitted
    out = {}
    for name in names:
        found, status = scores(root, name), load_status(root, name).get(name, {})
        for student in (students or submitted(root, name)):
            out[(name, student)] = (*found.get(student, (0.0, None)), status.get(student, "no submission"))
    return out
