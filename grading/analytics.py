"""What a graded class says about each test: read back from the gradebook, then counted.

`load` reads one assignment's results in one session of the gradebook (sqlite or PostgreSQL,
plain SQL on nbgrader's tables and the course's own: grading/records.py, grading/observed.py):
each student's points per test, status, submission time against the due date and extension,
late penalty, the seconds their notebooks ran, and how each failing test failed. The rest is
arithmetic on that, as classical test theory names it:

* pass rate: the share of the class's submissions that earned a test's full points (a submission
  that could not be graded counts as failing every test);
* difficulty: the mean share of a test's points earned (the "item difficulty" p: 1 is easy);
* discrimination: the point-biserial correlation between passing the test and the score on the
  other tests (the corrected item-total correlation): near 0 or negative, the test does not
  separate the students who do well from the others, and is worth a look.

Tests are listed the most failed first. Used by grading/html_report.py.
"""
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from sqlalchemy import text

from . import cells, course, observed, records
from .status import Status

GRADES = """SELECT sa.student_id, bc.name, g.auto_score, g.manual_score, gc.max_score
    FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id
    JOIN submitted_assignment sa ON sn.assignment_id = sa.id JOIN assignment a ON sa.assignment_id = a.id
    JOIN base_cell bc ON g.cell_id = bc.id JOIN grade_cells gc ON gc.id = bc.id
    WHERE a.name = :a AND a.course_id = :c AND gc.cell_type = 'code'"""


@dataclass
class Class:
    """One assignment's graded class, as the gradebook holds it."""
    name: str
    tests: list                    # grade ids of the autograded tests, in notebook order
    maxima: dict                   # {test: max points}
    points: dict                   # {student: {test: points}}
    status: dict                   # {student: status line}
    seconds: dict = field(default_factory=dict)    # {student: seconds the notebooks ran}
    failures: dict = field(default_factory=dict)   # {student: {test: signature}} (grading/observed.py)
    late: dict = field(default_factory=dict)       # {student: seconds past the due date and extension}
    extension: dict = field(default_factory=dict)  # {student: seconds of extension granted}
    penalty: dict = field(default_factory=dict)    # {student: points taken for lateness}

    @property
    def students(self):
        return sorted(self.status)

    @property
    def maximum(self):
        return sum(self.maxima.values())

    def total(self, student):
        return sum(self.points.get(student, {}).get(t) or 0.0 for t in self.tests)

    def passed(self, student, test):
        got = self.points.get(student, {}).get(test)
        return got is not None and got >= self.maxima[test] - 1e-9


def test_order(root, name):
    """[(notebook, grade id)] of the assignment's autograded test cells, in notebook order."""
    out = []
    for path in sorted((Path(root) / "source" / name).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        out += [(path.stem, cells.grade_id(c)) for c in cells.test_cells(nb)]
    return out


def _submissions(session, name, course_id):
    """[(student, timestamp, extension, due date, late penalty)]: nbgrader's ORM, whose column
    types read dates and intervals alike from sqlite and PostgreSQL."""
    from nbgrader.api import Assignment, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func
    penalties = dict(session.query(SubmittedNotebook.assignment_id, func.sum(SubmittedNotebook.late_submission_penalty))
                     .group_by(SubmittedNotebook.assignment_id).all())
    rows = (session.query(SubmittedAssignment.id, SubmittedAssignment.student_id, SubmittedAssignment.timestamp,
                          SubmittedAssignment.extension, Assignment.duedate)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .filter(Assignment.name == name, Assignment.course_id == course_id).all())
    return [(student, when, extension, due, penalties.get(key)) for key, student, when, extension, due in rows]


def _seconds(interval):
    if interval is None:
        return None
    return interval.total_seconds() if hasattr(interval, "total_seconds") else float(interval)


def load(root, name):
    """The graded class of assignment `name` in the course at `root` (its gradebook)."""
    from nbgrader.api import Gradebook
    from .grades import require_gradebook
    api = require_gradebook(root)
    order = [test for _, test in test_order(root, name)]
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        params = {"a": name, "c": api.coursedir.course_id}
        rows = gb.db.execute(text(GRADES), params).fetchall()
        subs = _submissions(gb.db, name, api.coursedir.course_id)
        recorded = records.read(gb.db, name).get(name, {})
        seen = observed.read(gb.db, name)
        gb.db.commit()
    points, maxima = {}, {}
    for student, test, auto, manual, top in rows:
        points.setdefault(student, {})[test] = manual if manual is not None else auto
        maxima[test] = top
    tests = [t for t in order if t in maxima] + sorted(set(maxima) - set(order))
    data = Class(name, tests, {t: maxima[t] for t in tests}, points,
                 {s: r.status for s, r in recorded.items()})
    for student, (took, failed) in seen.items():
        data.seconds[student], data.failures[student] = took, failed
    for student, when, extension, due, penalty in subs:
        data.status.setdefault(student, "graded" if student in points else "no record")
        data.extension[student] = _seconds(extension)
        data.penalty[student] = penalty or 0.0
        if when is not None and due is not None:
            data.late[student] = max(0.0, (when - due).total_seconds() - (_seconds(extension) or 0.0))
    return data


def _correlation(xs, ys):
    """Pearson's r of two lists, or None when either does not vary."""
    if len(xs) < 3:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx, syy = sum((x - mx) ** 2 for x in xs), sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


@dataclass(frozen=True)
class TestStats:
    test: str
    max_points: float
    passed: int
    students: int
    difficulty: float              # the mean share of the points earned
    discrimination: float | None   # point-biserial r of passing against the rest of the score

    @property
    def pass_rate(self):
        return self.passed / self.students if self.students else 0.0


def per_test(data):
    """[TestStats] of every test, the most failed first (then in notebook order)."""
    out = []
    students = data.students
    for index, test in enumerate(data.tests):
        top = data.maxima[test]
        shares = [(data.points.get(s, {}).get(test) or 0.0) / top if top else 0.0 for s in students]
        passes = [1.0 if data.passed(s, test) else 0.0 for s in students]
        rest = [data.total(s) - (data.points.get(s, {}).get(test) or 0.0) for s in students]
        out.append((index, TestStats(test, top, int(sum(passes)), len(students),
                                     statistics.fmean(shares) if shares else 0.0, _correlation(passes, rest))))
    return [stats for _, stats in sorted(out, key=lambda p: (p[1].pass_rate, p[0]))]


def statuses(data):
    """{status kind: number of students} ('graded', 'error', 'timeout', 'limit')."""
    counts = {}
    for line in data.status.values():
        kind = Status.parse(line).kind
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def summary(data):
    """The class in numbers: students, mean and median score, late and extended submissions."""
    totals = [data.total(s) for s in data.students]
    times = [t for t in data.seconds.values() if t is not None]
    return {"students": len(totals), "maximum": data.maximum,
            "mean": statistics.fmean(totals) if totals else 0.0,
            "median": statistics.median(totals) if totals else 0.0,
            "late": sum(1 for v in data.late.values() if v > 0),
            "extended": sum(1 for v in data.extension.values() if v),
            "penalised": sum(1 for v in data.penalty.values() if v),
            "median_seconds": statistics.median(times) if times else None,
            "max_seconds": max(times) if times else None}
