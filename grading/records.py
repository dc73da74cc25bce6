"""What was graded against what: one record per student and assignment, in the gradebook's database.

A record holds the student's status ('graded', 'error: ...'), the hash of the submission and the
hash of the assignment's source/ (its tests) it was graded against, and whether a regrade is due.
It is written in the same transaction as the student's scores, so the scores and the record can
never disagree. `make grade` regrades a student whose submission or tests changed since, or whose
regrade is due (FORCE=1 and STUDENT= mark it due first, so an interrupted regrade resumes).
The reference observations of each assignment's solution (grading/reference.py) are kept beside
them, under the key of the tests and environment they were computed with.
The same tables and upserts (INSERT ... ON CONFLICT DO UPDATE) work on sqlite and PostgreSQL;
on PostgreSQL, where several graders may write at once, creating the tables and recording an
assignment's cells are serialised by an advisory lock (`exclusive`).
"""
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

SKIP = {".ipynb_checkpoints", "__pycache__"}
_TABLES = (
    """CREATE TABLE IF NOT EXISTS course_grading (
        assignment VARCHAR(128) NOT NULL, student VARCHAR(128) NOT NULL, status TEXT NOT NULL,
        submission_hash VARCHAR(64) NOT NULL, tests_hash VARCHAR(64) NOT NULL, due INTEGER NOT NULL,
        PRIMARY KEY (assignment, student))""",
    """CREATE TABLE IF NOT EXISTS course_assignment (
        assignment VARCHAR(128) PRIMARY KEY, tests_hash VARCHAR(64) NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS course_reference (
        assignment VARCHAR(128) PRIMARY KEY, reference_key VARCHAR(64) NOT NULL, observations TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS course_roster (
        id INTEGER PRIMARY KEY, lms VARCHAR(16) NOT NULL, filename TEXT NOT NULL, content TEXT NOT NULL)""",
    # how each failing test failed, value-safe, and the time the notebooks ran (grading/observed.py)
    """CREATE TABLE IF NOT EXISTS course_observed (
        assignment VARCHAR(128) NOT NULL, student VARCHAR(128) NOT NULL, seconds REAL,
        failures TEXT NOT NULL, PRIMARY KEY (assignment, student))""",
    # what each known mistake's run observed, cached like the reference (grading/clusters.py)
    """CREATE TABLE IF NOT EXISTS course_mistake (
        assignment VARCHAR(128) PRIMARY KEY, mistakes_key VARCHAR(64) NOT NULL, signatures TEXT NOT NULL)""",
)


@dataclass(frozen=True)
class Record:
    status: str
    submission_hash: str
    tests_hash: str
    due: bool


def tree_hash(folder):
    """Return the sha256 of the files below `folder` (names and contents; checkpoints skipped).
    No link is followed and no FIFO or device opened: such an entry counts by its name and kind."""
    from . import submission
    digest = hashlib.sha256()
    folder = Path(folder)
    if folder.is_dir() and not folder.is_symlink():
        listing = submission.walk(folder)
        entries = {**listing.files, **listing.refused}
        for rel in sorted(p for p in entries if not SKIP & set(Path(p).parts)):
            name = os.fsencode(rel)
            digest.update(len(name).to_bytes(4, "big") + name)
            if rel in listing.files:
                digest.update(hashlib.sha256(submission.read(folder / rel)).digest())
            else:
                digest.update(b"not a file: " + listing.refused[rel].encode())
    return digest.hexdigest()


def tests_hash(root, name):
    """The version of assignment `name`'s tests: the hash of source/<name>/."""
    return tree_hash(Path(root) / "source" / name)


def submission_hash(root, name, student):
    return tree_hash(Path(root) / "submitted" / student / name)


# Arbitrary 64-bit keys of the course's advisory locks (PostgreSQL's pg_advisory_lock): one for
# `exclusive`, one for creating the tables (taken inside it, from another connection).
LOCK_KEY = 0x646C636F75727365   # "dlcourse"
TABLES_KEY = LOCK_KEY + 1
_READY = set()   # databases whose tables this process has created or seen


def ensure_tables(session, tables=_TABLES):
    """Create the course's tables (or `tables`) if missing. Two PostgreSQL sessions running CREATE TABLE IF NOT
    EXISTS at once can both try to create the type (a unique violation): there, the first call of
    each process creates them in a transaction of its own, under the advisory lock."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":   # sqlite: cheap, and a test may delete the file
        for statement in tables:
            session.execute(text(statement))
        return
    engine = bind.engine
    key = (str(engine.url), tables)
    if key not in _READY:
        with engine.begin() as conn:   # committed at once, whatever the caller's transaction does
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": TABLES_KEY})
            for statement in tables:
                conn.execute(text(statement))
        _READY.add(key)


def student_key(name, student):
    """The advisory lock key of one student's result of assignment `name` (a signed 64-bit int)."""
    digest = hashlib.sha256(f"{name}\0{student}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def exclusive(db_url, key=LOCK_KEY):
    """Hold an advisory lock on PostgreSQL for the duration (a no-op on sqlite, whose writers
    lock the whole file anyway): `LOCK_KEY` for steps that create rows several graders may create
    at once (the gradebook's schema, its course and assignment rows), `student_key` for recording
    one student (nbgrader creates the student and submission rows, committing as it goes, so two
    graders of the same student at once would both try to create them). It is held on a
    connection of its own, so the commits inside do not release it."""
    if not db_url.startswith("postgresql"):
        yield
        return
    engine = create_engine(db_url, future=True, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        engine.dispose()


def write(session, name, student, status, submission, tests):
    """Record a student's result inside the caller's transaction (commit with the scores)."""
    ensure_tables(session)
    session.execute(text(
        "INSERT INTO course_grading (assignment, student, status, submission_hash, tests_hash, due) "
        "VALUES (:a, :s, :status, :sub, :tests, 0) ON CONFLICT (assignment, student) DO UPDATE SET "
        "status = excluded.status, submission_hash = excluded.submission_hash, "
        "tests_hash = excluded.tests_hash, due = 0"),
        {"a": name, "s": student, "status": status, "sub": submission, "tests": tests})


def mark_due(session, name, students):
    """Mark the records of `students` as due for a regrade (committed by the caller)."""
    ensure_tables(session)
    for student in students:
        session.execute(text("UPDATE course_grading SET due = 1 WHERE assignment = :a AND student = :s"),
                        {"a": name, "s": student})


def read(session, name=None):
    """Return {assignment: {student: Record}} (one assignment's if `name`)."""
    ensure_tables(session)
    query = "SELECT assignment, student, status, submission_hash, tests_hash, due FROM course_grading"
    rows = session.execute(text(query + (" WHERE assignment = :a" if name else "")), {"a": name}).fetchall()
    out = {}
    for assignment, student, status, sub, tests, due in rows:
        out.setdefault(assignment, {})[student] = Record(status, sub, tests, bool(due))
    return out


def recorded_tests(session, name):
    """The tests hash the gradebook's copy of `name`'s cells was generated from, or None."""
    ensure_tables(session)
    row = session.execute(text("SELECT tests_hash FROM course_assignment WHERE assignment = :a"),
                          {"a": name}).fetchone()
    return row[0] if row else None


def set_recorded_tests(session, name, digest):
    ensure_tables(session)
    session.execute(text(
        "INSERT INTO course_assignment (assignment, tests_hash) VALUES (:a, :h) "
        "ON CONFLICT (assignment) DO UPDATE SET tests_hash = excluded.tests_hash"), {"a": name, "h": digest})


def reference(session, name, key):
    """The cached reference observations of `name` computed under `key`, or None."""
    ensure_tables(session)
    row = session.execute(text("SELECT reference_key, observations FROM course_reference WHERE assignment = :a"),
                          {"a": name}).fetchone()
    return json.loads(row[1]) if row and row[0] == key else None


def set_reference(session, name, key, observations):
    ensure_tables(session)
    session.execute(text(
        "INSERT INTO course_reference (assignment, reference_key, observations) VALUES (:a, :k, :o) "
        "ON CONFLICT (assignment) DO UPDATE SET reference_key = excluded.reference_key, "
        "observations = excluded.observations"), {"a": name, "k": key, "o": json.dumps(observations)})


def set_roster(session, lms, filename, content):
    """Keep the LMS roster the instructor imported (one: the last), for `lms-export`."""
    ensure_tables(session)
    session.execute(text(
        "INSERT INTO course_roster (id, lms, filename, content) VALUES (1, :l, :f, :c) "
        "ON CONFLICT (id) DO UPDATE SET lms = excluded.lms, filename = excluded.filename, "
        "content = excluded.content"), {"l": lms, "f": filename, "c": content})


def roster(session):
    """(lms, file name, text) of the roster imported last, or None."""
    ensure_tables(session)
    row = session.execute(text("SELECT lms, filename, content FROM course_roster WHERE id = 1")).fetchone()
    return tuple(row) if row else None
