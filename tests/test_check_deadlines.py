"""Deadlines per student (grading/late.py) and Check my work's limits (grading/check_store.py).

A small class of lesson 1 is graded once, its due date set: four full solutions, each 2.5 days
late but the first. The course's policy takes 10 % per started day. An extension (`python -m
grading extend`, what `make extend` runs) moves one student's deadline and penalty and nobody
else's; an accommodation (extra days on every assignment) moves another's; grades.csv names
exactly the students with a deadline of their own; a regrade keeps them.
The limits: the N+1-th check in an hour is refused, a check after the deadline is refused or
marked as configured, and a check counts from the moment it is accepted.
"""
import datetime
import subprocess
import sys

import nbformat
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from conftest import REPO
from grading import check_store, demo, grader, grades, late, sandbox

NAME = "01_tensor_basics"
DUE = "2026-03-01 23:59:00 UTC"
ON_TIME = "2026-03-01 20:00:00.000000 UTC"
LATE = "2026-03-04 11:59:00.000000 UTC"     # 2.5 days late: three started days, 30 %
STUDENTS = {"ontime": ON_TIME, "extended": LATE, "accommodated": LATE, "plain": LATE}


def cli(*argv):
    done = subprocess.run([sys.executable, "-m", "grading", *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = demo.make_course(tmp_path_factory.mktemp("deadlines") / "course", [NAME])
    (filename, source_nb, release_nb), = demo.notebooks(root, NAME)
    full = demo.fill(release_nb, demo.solution_cells(source_nb))
    for student, when in STUDENTS.items():
        folder = root / "submitted" / student / NAME
        folder.mkdir(parents=True)
        nbformat.write(full, folder / filename)
        (folder / "timestamp.txt").write_text(when)
    late.set_due_date(root, NAME, DUE)
    settings = grader.Settings(workers=2, sandbox=sandbox.bwrap_available())
    assert grader.grade(root, NAME, settings, out=lambda *_: None, progress=False) == {s: "graded" for s in STUDENTS}
    return root


def penalties(root):
    return {r["student_id"]: (float(r["late_submission_penalty"]), r["own_deadline"])
            for r in grades.export(root, "grades.csv") if r["assignment"] == NAME}


def test_an_extension_moves_one_students_deadline_and_penalty_and_nobody_elses(graded):
    full = demo.expected_scores(NAME)["alice"]
    before = penalties(graded)
    assert before == {"ontime": (0, ""), "extended": (pytest.approx(0.3 * full), ""),
                      "accommodated": (pytest.approx(0.3 * full), ""), "plain": (pytest.approx(0.3 * full), "")}
    said = cli("extend", "--course", str(graded), NAME, "extended", "--days", "3")
    assert "2026-03-04 23:59:00 UTC" in said
    cli("accommodate", "--course", str(graded), "--student", "accommodated", "--days", "1")
    after = penalties(graded)
    assert after["extended"] == (0, "2026-03-04 23:59:00.000000 UTC")       # 12 hours early now
    assert after["accommodated"] == (pytest.approx(0.2 * full), "2026-03-02 23:59:00.000000 UTC")
    assert after["ontime"] == before["ontime"] and after["plain"] == before["plain"]
    # a regrade keeps every student's own deadline
    settings = grader.Settings(workers=2, sandbox=sandbox.bwrap_available(), force=True)
    grader.grade(graded, NAME, settings, out=lambda *_: None, progress=False)
    assert penalties(graded) == after
    # an extension until a time; DAYS=0 takes it away again
    cli("extend", "--course", str(graded), NAME, "plain", "--until", "2026-03-04 12:00:00 UTC")
    assert penalties(graded)["plain"] == (0, "2026-03-04 12:00:00.000000 UTC")
    cli("extend", "--course", str(graded), NAME, "plain", "--days", "0")
    assert penalties(graded)["plain"] == before["plain"]


def test_extend_needs_a_time_or_days(graded):
    done = subprocess.run([sys.executable, "-m", "grading", "extend", "--course", str(graded), NAME, "x"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "UNTIL" in done.stderr


# --- limits, on a database of their own (no grading needed) ----------------------------------
@pytest.fixture
def db(tmp_path, monkeypatch):
    import nbgrader.api
    from nbgrader.api import Gradebook

    from grading import course
    monkeypatch.setattr(nbgrader.api, "get_alembic_version", course.alembic_head)   # as nbgrader_api does
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.update_or_create_assignment("a1", duedate="2026-03-01 23:59:00 UTC")
        gb.update_or_create_student("s1")
        gb.update_or_create_student("s2")
    engine = create_engine(url, future=True)
    with Session(engine) as session:
        yield session


def epoch(text):
    return late.parse_time(text).timestamp()


def test_the_n_plus_first_check_is_refused_and_each_student_counts_alone(db):
    check_store.set_limits(db, "a1", check_store.Limits(per_hour=3, per_day=5, total=None))
    db.commit()
    now = epoch("2026-03-01 10:00:00 UTC")
    answers = [check_store.reserve(db, "a1", "s1", "h", now + i) for i in range(4)]
    assert [a.allowed for a in answers] == [True, True, True, False]
    assert answers[0].left == "2 of 3 checks left this hour; 4 of 5 checks left today (24 hours)"
    assert answers[2].left.startswith("0 of 3 checks left this hour")
    assert "no checks left this hour" in answers[3].reason
    assert check_store.reserve(db, "a1", "s2", "h", now + 5).allowed        # another student: their own count
    # an hour later: two more (the day's 5 are then used up), then refused for the day
    later = [check_store.reserve(db, "a1", "s1", "h", now + 3601 + i).allowed for i in range(3)]
    assert later == [True, True, False]
    assert [c["state"] for c in check_store.history(db, "a1", "s1")].count("refused") == 2


def test_a_check_the_checker_failed_is_not_counted(db):
    check_store.set_limits(db, "*", check_store.Limits(per_hour=1, per_day=None))
    db.commit()
    now = epoch("2026-03-01 10:00:00 UTC")
    first = check_store.reserve(db, "a1", "s1", "h", now)
    check_store.finish(db, first.check_id, failure="the checker failed")
    assert check_store.reserve(db, "a1", "s1", "h", now + 1).allowed
    assert not check_store.reserve(db, "a1", "s1", "h", now + 2).allowed


@pytest.mark.parametrize("after", ["refuse", "mark"])
def test_a_check_after_the_deadline_is_refused_or_marked_as_configured(db, after):
    check_store.set_limits(db, "a1", check_store.Limits(per_hour=None, per_day=None, total=2, after_deadline=after))
    db.commit()
    before = epoch("2026-03-01 23:00:00 UTC")
    assert check_store.reserve(db, "a1", "s1", "h", before).left == "1 of 2 checks left before your deadline"
    answer = check_store.reserve(db, "a1", "s1", "h", epoch("2026-03-02 00:30:00 UTC"))
    assert answer.late and answer.deadline == "2026-03-01 23:59 UTC"
    if after == "refuse":
        assert not answer.allowed and "deadline (2026-03-01 23:59 UTC) has passed" in answer.reason
    else:
        assert answer.allowed and answer.reason == ""


def test_an_extension_moves_the_deadline_the_checks_see(db):
    from sqlalchemy import text
    check_store.set_limits(db, "a1", check_store.Limits(per_hour=None, per_day=None, total=None))
    late._tables(db)
    db.execute(text("INSERT INTO course_extension (assignment, student, until, days) VALUES ('a1', 's2', NULL, 2)"))
    db.commit()
    when = epoch("2026-03-02 10:00:00 UTC")
    assert not check_store.reserve(db, "a1", "s1", "h", when).allowed
    answer = check_store.reserve(db, "a1", "s2", "h", when)
    assert answer.allowed and not answer.late and answer.deadline == "2026-03-03 23:59 UTC"
    assert check_store.deadline(db, "a1", "s2") == datetime.datetime(2026, 3, 3, 23, 59)


def test_limits_are_whole_numbers_and_known_modes(db):
    with pytest.raises(ValueError):
        check_store.set_limits(db, "a1", check_store.Limits(per_hour=-2))
    with pytest.raises(ValueError):
        check_store.set_limits(db, "a1", check_store.Limits(after_deadline="allow"))
