"""Late submissions: the penalty `make grade` records, by nbgrader's own rules.

A submission's time is its submitted/<student>/<assignment>/timestamp.txt, written by the course's
collector (grading/exchange.py) from the newest inode change time of the student's files in the
exchange: a time the student cannot set back (the `timestamp.txt` that `nbgrader submit` writes is
the student's own claim, which the collector never uses). A malformed one is that student's
`error: ...`, never a failed run (`submission_time`). The due date is the assignment's in
the gradebook (Formgrader's Manage Assignments, `nbgrader db assignment add NAME --duedate=...`, or
`python -m grading due NAME "2026-03-01 23:59:00 Europe/Berlin"`), plus the student's extension.
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
