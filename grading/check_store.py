"""Check my work's limits and log, in the gradebook's database (sqlite or PostgreSQL).

    course_check_limit  per assignment ('*': every assignment without a row of its own): at most
                        `per_hour` checks in any hour, `per_day` in any 24 hours, `total` before the
                        student's own deadline (grading/late.py); after it, `after_deadline`:
                        'refuse' (the default) or 'mark' (checked, marked late, still limited per
                        hour and day). NULL: no such limit. Set by the instructor
                        (`make check-limits`), never by the service's API.
    course_check        every check asked for: who, when, the notebook's hash, the state
                        ('queued', 'done', 'refused', 'failed': the checker's own failure, not
                        counted), whether after the deadline, the verdicts (JSON), the score.
                        Never a grade: nothing here is read by `make grade` or the exports.

A check is counted from the moment it is accepted (`reserve`, one transaction: the counts and the
new row), so two presses at once can never both take the last one. The service is one process and
calls `reserve` from its event loop, one at a time; on PostgreSQL an advisory lock per student and
assignment keeps it exact with several services too.
"""
import datetime
import json
import uuid
from dataclasses import asdict, dataclass

from sqlalchemy import text

from . import late, records

TABLES = (
    """CREATE TABLE IF NOT EXISTS course_check_limit (
        assignment VARCHAR(128) PRIMARY KEY, per_hour INTEGER, per_day INTEGER, total INTEGER,
        after_deadline VARCHAR(16) NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS course_check (
        id VARCHAR(32) PRIMARY KEY, assignment VARCHAR(128) NOT NULL, student VARCHAR(128) NOT NULL,
        at FLOAT NOT NULL, state VARCHAR(16) NOT NULL, late INTEGER NOT NULL,
        notebook_hash VARCHAR(64) NOT NULL, reason TEXT, verdicts TEXT, score FLOAT)""",
    "CREATE INDEX IF NOT EXISTS course_check_who ON course_check (assignment, student, at)",
)
EVERY = "*"
AFTER = ("refuse", "mark")
COUNTED = ("queued", "done")


@dataclass(frozen=True)
class Limits:
    per_hour: int = 3
    per_day: int = 10
    total: int = None
    after_deadline: str = "refuse"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str           # why refused, or '' (allowed)
    late: bool            # after the student's deadline (allowed only when marked)
    left: str             # "2 of 3 checks left this hour; 8 of 10 today"
    deadline: str         # the student's own deadline, 'YYYY-MM-DD HH:MM UTC', or ''
    check_id: str = ""


def ensure(session):
    records.ensure_tables(session, TABLES)


def limits(session, name):
    """The limits of assignment `name`: its own row, else the course's ('*'), else `Limits()`."""
    ensure(session)
    for key in (name, EVERY):
        row = session.execute(text("SELECT per_hour, per_day, total, after_deadline FROM course_check_limit "
                                   "WHERE assignment = :a"), {"a": key}).fetchone()
        if row:
            return Limits(*row)
    return Limits()


def set_limits(session, name, limits):
    """Record `limits` for assignment `name` ('*': every assignment); committed by the caller."""
    if limits.after_deadline not in AFTER:
        raise ValueError(f"after_deadline must be one of {', '.join(AFTER)}")
    for value in (limits.per_hour, limits.per_day, limits.total):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError(f"a limit is a whole number of checks, not {value!r}")
    ensure(session)
    session.execute(text(
        "INSERT INTO course_check_limit (assignment, per_hour, per_day, total, after_deadline) "
        "VALUES (:a, :h, :d, :t, :m) ON CONFLICT (assignment) DO UPDATE SET per_hour = excluded.per_hour, "
        "per_day = excluded.per_day, total = excluded.total, after_deadline = excluded.after_deadline"),
        {"a": name, "h": limits.per_hour, "d": limits.per_day, "t": limits.total, "m": limits.after_deadline})


def due_date(session, name):
    """The assignment's due date in nbgrader's table (naive UTC), or None."""
    from nbgrader.api import Assignment
    from sqlalchemy.orm import Session
    with Session(bind=session.get_bind()) as s:
        found = s.query(Assignment).filter_by(name=name).one_or_none()
        return found.duedate if found else None


def deadline(session, name, student):
    """`student`'s own deadline for `name` (naive UTC), or None."""
    return late.own_deadline(session, name, student, due_date(session, name))


def _count(session, name, student, since, late_too=True):
    query = ("SELECT COUNT(*) FROM course_check WHERE assignment = :a AND student = :s AND at > :t "
             "AND state IN ('queued', 'done')" + ("" if late_too else " AND late = 0"))
    return session.execute(text(query), {"a": name, "s": student, "t": since}).scalar()


def _fmt(when):
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else ""


def standing(session, name, student, now, extra=0):
    """(reason a check now would be refused or '', late, 'left' sentence, deadline) for `student`,
    counting `extra` more checks than recorded (the one being decided)."""
    rules = limits(session, name)
    own = deadline(session, name, student)
    is_late = own is not None and datetime.datetime.utcfromtimestamp(now) > own
    parts, reason = [], ""
    windows = [("this hour", rules.per_hour, now - 3600, True), ("today (24 hours)", rules.per_day, now - 86400, True)]
    if not is_late:
        windows.append(("before your deadline", rules.total, 0, False))
    for label, cap, since, late_too in windows:
        if cap is None:
            continue
        used = _count(session, name, student, since, late_too) + extra
        parts.append(f"{max(0, cap - used)} of {cap} {'check' if cap == 1 else 'checks'} left {label}")
        if used > cap and not reason:
            reason = f"no checks left {label} (at most {cap})"
    if is_late and rules.after_deadline == "refuse":
        reason = f"your deadline ({_fmt(own)}) has passed: no more checks"
    return reason, is_late, "; ".join(parts) or "no limit on checks", _fmt(own)


def reserve(session, name, student, digest, now, db_url=""):
    """Decide whether `student` may check `name` now (epoch seconds) and record the attempt: a
    'queued' row that counts at once, or a 'refused' one that does not. Commits. A Decision."""
    ensure(session)
    with records.exclusive(db_url, records.student_key(f"check:{name}", student)):
        reason, is_late, left, own = standing(session, name, student, now, extra=1)
        check_id = uuid.uuid4().hex
        session.execute(text(
            "INSERT INTO course_check (id, assignment, student, at, state, late, notebook_hash, reason) "
            "VALUES (:id, :a, :s, :t, :state, :late, :h, :r)"),
            {"id": check_id, "a": name, "s": student, "t": now, "state": "refused" if reason else "queued",
             "late": int(is_late), "h": digest, "r": reason})
        session.commit()
    if reason:   # what is left, counting the refused one out
        left = standing(session, name, student, now)[2]
    return Decision(not reason, reason, is_late, left, own, check_id)


def finish(session, check_id, result=None, failure=""):
    """Record a check's verdicts (`result`: a CheckResult), or the checker's own `failure` (then
    the check is not counted). Commits."""
    if result is None:
        session.execute(text("UPDATE course_check SET state = 'failed', reason = :r WHERE id = :id"),
                        {"id": check_id, "r": failure})
    else:
        session.execute(text("UPDATE course_check SET state = 'done', verdicts = :v, score = :sc WHERE id = :id"),
                        {"id": check_id, "v": json.dumps(result.as_json()), "sc": result.score})
    session.commit()


def history(session, name, student):
    """`student`'s checks of `name`, newest first: [{id, at, state, late, notebook_hash, reason, score}]."""
    ensure(session)
    rows = session.execute(text(
        "SELECT id, at, state, late, notebook_hash, reason, score FROM course_check "
        "WHERE assignment = :a AND student = :s ORDER BY at DESC"), {"a": name, "s": student}).fetchall()
    return [dict(id=r[0], at=r[1], state=r[2], late=bool(r[3]), notebook_hash=r[4], reason=r[5] or "", score=r[6])
            for r in rows]


def result_of(session, check_id, student):
    """(state, the answer JSON or None, late, reason) of `student`'s check `check_id`; None when
    there is no such check of theirs (another student's is never found)."""
    ensure(session)
    row = session.execute(text("SELECT state, verdicts, late, reason FROM course_check WHERE id = :id AND student = :s"),
                          {"id": check_id, "s": student}).fetchone()
    if row is None:
        return None
    return row[0], json.loads(row[1]) if row[1] else None, bool(row[2]), row[3] or ""


def limits_json(rules):
    return asdict(rules)
