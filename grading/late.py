"""Late submissions: the penalty `make grade` records, by nbgrader's own rules.

A submission's time is its submitted/<student>/<assignment>/timestamp.txt, written by the course's
collector (grading/exchange.py) from the newest inode change time of the student's files in the
exchange: a time the student cannot set back (the `timestamp.txt` that `nbgrader submit` writes is
the student's own claim, which the collector never uses). A malformed one is that student's
`error: ...`, never a failed run (`submission_time`). The due date is the assignment's in
the gradebook (Formgrader's Manage Assignments, `nbgrader db assignment add NAME --duedate=...`, or
`python -m grading due NAME "2026-03-01 23:59:00 Europe/Berlin"`), plus the student's extension:
each student's own deadline (`deadline`, below) is the later of the due date moved by their
accommodation (extra days on every assignment, `make accommodate` or a roster's extra_days
column) and their extension of this assignment (`make extend A=.. STUDENT=.. UNTIL=..|DAYS=..`),
both kept in the gradebook's database; `apply` writes it into nbgrader's own
SubmittedAssignment.extension, so nbgrader's lateness, Formgrader and the penalty all use it.
The policy is nbgrader's `AssignLatePenalties.plugin_class` (nbgrader_config.py): nbgrader's
`LateSubmissionPlugin` (penalty_method 'none' or 'zero') or `PercentPerDay` below. Plain nbgrader
applies it in `nbgrader autograde`; `make grade` records scores itself, so it applies the same
plugin here, in the transaction that records the scores (grading/record.py).
"""
import math

from traitlets import Float

from nbgrader.plugins import LateSubmissionPlugin

from . import submission as files

TIMESTAMP = "timestamp.txt"


class BadTimestamp(Exception):
    """A submission's timestamp.txt that is not a time."""


def parse_time(text):
    """nbgrader's reading of a timestamp ('2026-03-01 20:00:00.000000 UTC', ISO 8601, ...) as an
    aware UTC datetime; BadTimestamp for anything else."""
    from nbgrader.utils import parse_utc
    text = text.strip()
    if not text:
        raise BadTimestamp("timestamp.txt is empty")
    try:
        return parse_utc(text)
    except Exception as err:   # dateutil raises ValueError, OverflowError, TypeError ...
        raise BadTimestamp(f"timestamp.txt is not a time ({type(err).__name__}: "
                           f"{str(err).splitlines()[0][:80] if str(err) else text[:40]!r})") from None


def submission_time(folder):
    """The time of the submission at `folder` (its timestamp.txt), or None when it has none;
    BadTimestamp when the file is not a time (or not a file)."""
    try:
        data = files.read(f"{folder}/{TIMESTAMP}", limit=256)
    except FileNotFoundError:
        return None
    except files.Refused as err:
        raise BadTimestamp(str(err)) from None
    try:
        return parse_time(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadTimestamp("timestamp.txt is not UTF-8 text") from None


def format_time(when):
    """`when` (an aware or UTC-naive datetime) as nbgrader writes a timestamp."""
    from nbgrader.utils import parse_utc
    return parse_utc(when).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


class PercentPerDay(LateSubmissionPlugin):
    """Take `percent_per_day` of the notebook's score per started day late, at most all of it:
    c.AssignLatePenalties.plugin_class = "grading.late.PercentPerDay"; c.PercentPerDay.percent_per_day = 10."""

    percent_per_day = Float(10.0, help="percent of the score taken per started day late").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        days = math.ceil(total_seconds_late / 86400)
        return score * min(1.0, days * self.percent_per_day / 100)


def apply(api, gb, submission):
    """Set each notebook's late penalty of `submission` (scores already set in `gb`'s session, not
    yet committed) by the configured plugin: none when on time or no due date. Returns the total."""
    from nbgrader.preprocessors import AssignLatePenalties
    gb.db.flush()
    submission.extension = extension(gb.db, submission.assignment.name, submission.student.id,
                                     submission.assignment.duedate)
    for nb in submission.notebooks:
        gb.db.refresh(nb)           # its score is a SQL expression: read it after the flush
        nb.late_submission_penalty = None
    seconds = submission.total_seconds_late
    if seconds <= 0:
        return 0.0
    step = AssignLatePenalties(config=api.config)
    step.init_plugin()
    total = 0.0
    for nb in submission.notebooks:
        penalty = step.plugin_inst.late_submission_penalty(submission.student.id, nb.score, seconds)
        if penalty is not None:
            nb.late_submission_penalty = step._check_late_penalty(nb, penalty)
            total += nb.late_submission_penalty
    return total


def set_due_date(root, name, when):
    """Record `name`'s due date (nbgrader's parser: '2026-03-01 23:59:00 UTC', ISO 8601, ...)."""
    from nbgrader.api import Gradebook
    from .course import GradingError, nbgrader_api
    from . import release
    release.ensure_in_gradebook(root, name)
    api = nbgrader_api(root)
    try:
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            return gb.update_or_create_assignment(name, duedate=when).duedate
    except ValueError as err:
        raise GradingError(f"not a date: {when!r} ({err})") from None


# --- Deadlines per student (issue 28) ---------------------------------------------------------
_DEADLINE_TABLES = (
    """CREATE TABLE IF NOT EXISTS course_extension (
        assignment VARCHAR(128) NOT NULL, student VARCHAR(128) NOT NULL,
        until VARCHAR(40), days FLOAT, PRIMARY KEY (assignment, student))""",
    """CREATE TABLE IF NOT EXISTS course_accommodation (
        student VARCHAR(128) PRIMARY KEY, extra_days FLOAT NOT NULL)""",
)


def _tables(session):
    from . import records
    records.ensure_tables(session, _DEADLINE_TABLES)


def _utc_naive(when):
    """`when` as nbgrader stores times: naive, in UTC."""
    from nbgrader.utils import parse_utc
    return parse_utc(when).replace(tzinfo=None)


def own_deadline(session, name, student, due):
    """`student`'s deadline for `name` (naive UTC, as nbgrader's), given the assignment's `due`
    (naive UTC or None): the later of `due` plus their accommodation and their extension; None
    when there is no due date and no extension until a time."""
    import datetime
    from sqlalchemy import text
    _tables(session)
    row = session.execute(text("SELECT extra_days FROM course_accommodation WHERE student = :s"),
                          {"s": student}).fetchone()
    extra = datetime.timedelta(days=row[0]) if row else datetime.timedelta(0)
    candidates = [due + extra] if due is not None else []
    row = session.execute(text("SELECT until, days FROM course_extension WHERE assignment = :a AND student = :s"),
                          {"a": name, "s": student}).fetchone()
    if row and row[0]:
        candidates.append(_utc_naive(row[0]))
    elif row and row[1] is not None and due is not None:
        candidates.append(due + datetime.timedelta(days=row[1]))
    return max(candidates) if candidates else None


def extension(session, name, student, due):
    """What nbgrader's SubmittedAssignment.extension holds for `student`: their own deadline minus
    the assignment's due date, or None (no due date, or no extension)."""
    deadline = own_deadline(session, name, student, due)
    if due is None or deadline is None or deadline <= due:
        return None
    return deadline - due


def extended(session):
    """{(assignment, student)} of the students whose deadline differs from their assignment's
    (an extension, or an accommodation on an assignment with a due date)."""
    from sqlalchemy import text
    _tables(session)
    pairs = {(a, s) for a, s in session.execute(text("SELECT assignment, student FROM course_extension"))}
    accommodated = [s for (s,) in session.execute(text("SELECT student FROM course_accommodation WHERE extra_days > 0"))]
    if accommodated:
        for (a,) in session.execute(text("SELECT name FROM assignment WHERE duedate IS NOT NULL")):
            pairs |= {(a, s) for s in accommodated}
    return pairs


def said_in_export(root):
    """The line an LMS export adds about who had their own deadline ('' when nobody did): the LMS
    files hold one grade per cell, so the deadlines themselves are in grades.csv's own_deadline."""
    from nbgrader.api import Gradebook

    from .course import nbgrader_api
    api = nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        pairs = sorted(extended(gb.db))
        gb.db.commit()
    if not pairs:
        return ""
    shown = ", ".join(f"{s} ({a})" for a, s in pairs[:10]) + (" ..." if len(pairs) > 10 else "")
    return (f"{len(pairs)} of these grades used the student's own deadline (an extension or accommodation): "
            f"{shown}; make export's grades.csv gives each in its own_deadline column")


def set_extension(root, name, student, until=None, days=None):
    """Give `student` an extension of `name`: until a time, or `days` after the due date (which
    moves with it); days=0 and no `until` removes it. Returns their deadline (naive UTC)."""
    from nbgrader.api import Gradebook
    from sqlalchemy import text
    from . import release
    from .course import GradingError, nbgrader_api
    if (until is None) == (days is None):
        raise GradingError("an extension is either UNTIL=<time> or DAYS=<days>")
    if until is not None:
        try:
            until = format_time(until)
        except Exception as err:
            raise GradingError(f"not a date: {until!r} ({err})") from None
    release.ensure_in_gradebook(root, name)
    api = nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        _tables(gb.db)
        due = gb.find_assignment(name).duedate
        if until is None and due is None:
            raise GradingError(f"{name} has no due date to add {days:g} days to: `make due A={name} WHEN=...` first, "
                               f"or give UNTIL=<time>")
        gb.update_or_create_student(student)
        if until is None and not days:
            gb.db.execute(text("DELETE FROM course_extension WHERE assignment = :a AND student = :s"),
                          {"a": name, "s": student})
        else:
            gb.db.execute(text(
                "INSERT INTO course_extension (assignment, student, until, days) VALUES (:a, :s, :u, :d) "
                "ON CONFLICT (assignment, student) DO UPDATE SET until = excluded.until, days = excluded.days"),
                {"a": name, "s": student, "u": until, "d": None if until is not None else float(days)})
        _refresh_penalty(api, gb, name, student)
        deadline = own_deadline(gb.db, name, student, due)
        gb.db.commit()
        return deadline


def set_accommodation(root, student, extra_days):
    """Give `student` `extra_days` on every assignment (0 removes it); their recorded penalties follow."""
    from nbgrader.api import Gradebook
    from sqlalchemy import text
    from .course import nbgrader_api
    api = nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        _tables(gb.db)
        gb.update_or_create_student(student)
        gb.db.execute(text("DELETE FROM course_accommodation WHERE student = :s"), {"s": student})
        if extra_days:
            gb.db.execute(text("INSERT INTO course_accommodation (student, extra_days) VALUES (:s, :d)"),
                          {"s": student, "d": float(extra_days)})
        for assignment in gb.assignments:
            _refresh_penalty(api, gb, assignment.name, student)
        gb.db.commit()


def _refresh_penalty(api, gb, name, student):
    """Recompute the recorded late penalty of `student`'s submission of `name`, if graded."""
    from nbgrader.api import MissingEntry
    try:
        submission = gb.find_submission(name, student)
    except MissingEntry:
        return
    apply(api, gb, submission)
