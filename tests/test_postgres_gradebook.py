"""The gradebook on PostgreSQL (COURSE_DB_URL): the same scores as on sqlite, two graders writing
at once lose nothing (halves of a class; the same students recorded by two graders at once), and
feedback and export read it back.

A throwaway PostgreSQL server (tests/postgres_support.py) runs for this module; the test is skipped
only where PostgreSQL is not installed outside CI (in CI, which installs it, it must run).
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import postgres_support
from conftest import REPO
from test_grading_faults import tmpdir_short  # noqa: F401 (a fixture)
from grading import course, demo, feedback, grades, records, sandbox

NAME = "01_tensor_basics"
SANDBOXED = sandbox.bwrap_available()


@pytest.fixture(scope="module")
def server():
    with postgres_support.running() as s:
        yield s




def make_class(root, copies=2):
    """The demo class of NAME, each student copied `copies` times (alice_0, alice_1, ...)."""
    demo.make_course(root, [NAME])
    demo.write_class(root, NAME)
    for student in demo.STUDENTS:
        for i in range(copies):
            shutil.copytree(root / "submitted" / student, root / "submitted" / f"{student}_{i}")
        shutil.rmtree(root / "submitted" / student)
    return sorted(p.name for p in (root / "submitted").iterdir())


def grade_command(root, tmpdir, db_url=None, students=None, workers=1, extra=()):
    env = dict(os.environ, TMPDIR=str(tmpdir), OMP_NUM_THREADS="1")
    env.pop("COURSE_DB_URL", None)
    if db_url:
        env["COURSE_DB_URL"] = db_url
    argv = [sys.executable, "-m", "grading", "grade", "--course", str(root), NAME, "--workers", str(workers)]
    if students:
        argv += ["--student", ",".join(students)]
    if not SANDBOXED:
        argv.append("--no-sandbox")
    argv += list(extra)
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def finish(process, timeout=400):
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        pytest.fail(f"grading did not finish in {timeout} s:\n{out[-3000:]}")
    assert process.returncode == 0, out[-3000:]
    return out


def results(root):
    scores = grades.scores(root, NAME)
    status = grades.load_status(root, NAME)[NAME]
    return {s: (scores.get(s, (None, None))[0], status.get(s)) for s in course.students(root, NAME)}


def test_sqlalchemy_url_and_default(monkeypatch, tmp_path):
    root = demo.make_course(tmp_path / "c", [NAME])
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    assert course.db_url(root) == f"sqlite:///{root / 'gradebook.db'}"
    monkeypatch.setenv("COURSE_DB_URL", "postgresql://grader:s3cret@db.example.edu:5432/dl")
    assert course.db_url(root) == "postgresql+psycopg://grader:s3cret@db.example.edu:5432/dl"
    assert "s3cret" not in course.db_label(course.db_url(root))


def test_unreachable_database_is_a_clear_error(tmp_path):
    root = demo.make_course(tmp_path / "c", [NAME])
    env = dict(os.environ, COURSE_DB_URL="postgresql://grader:s3cret@127.0.0.1:1/nothing")
    done = subprocess.run([sys.executable, "-m", "grading", "export", "--course", str(root)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot reach the gradebook database" in done.stderr and "s3cret" not in done.stderr
    assert not (root / "grades.csv").exists()


def test_two_graders_at_once_on_postgres_match_sqlite(server, tmp_path, tmpdir_short, monkeypatch):
    lite, pg = tmp_path / "lite", tmp_path / "pg"
    everyone = make_class(lite)
    assert make_class(pg) == everyone and len(everyone) == 8
    url = server.create_database()

    # The sqlite baseline and the two PostgreSQL graders (disjoint halves of the class, started
    # together, so that they create the schema, the reference and their records at the same time).
    baseline = grade_command(lite, tmpdir_short, workers=2)
    first = grade_command(pg, tmpdir_short, url, [s for s in everyone if s.endswith("_0")])
    second = grade_command(pg, tmpdir_short, url, [s for s in everyone if s.endswith("_1")])
    for process in (first, second, baseline):
        finish(process)

    assert not (pg / "gradebook.db").exists(), "the PostgreSQL course wrote a sqlite gradebook"
    expected_scores = demo.expected_scores(NAME)
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    on_sqlite = results(lite)
    monkeypatch.setenv("COURSE_DB_URL", url)
    on_postgres = results(pg)
    assert on_postgres == on_sqlite
    assert set(on_postgres) == set(everyone)
    for student, (score, status) in on_postgres.items():
        base = student.rsplit("_", 1)[0]
        if base == "dave":
            assert status.startswith("error: ") and "not valid JSON" in status
        else:
            assert (score, status) == (expected_scores[base], "graded"), student

    # Nothing lost: one record and one submission per student, in PostgreSQL itself.
    import sqlalchemy as sa
    engine = sa.create_engine(course.db_url(pg))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM course_grading")).scalar() == 8
        assert conn.execute(sa.text("SELECT count(*) FROM submitted_assignment")).scalar() == 8
        assert conn.execute(sa.text("SELECT count(*) FROM course_reference")).scalar() == 1
    engine.dispose()

    # A plain rerun grades nobody (the records are there), feedback and export read PostgreSQL.
    rerun = finish(grade_command(pg, tmpdir_short, url))
    assert "8 of 8 students already graded" in rerun
    feedback.generate(pg, NAME)
    for student in everyone:
        assert list((pg / "feedback" / student / NAME).glob("*.html")), student
    rows = grades.export(pg, "grades.csv")
    with open(pg / "grades.csv", newline="") as f:
        exported = {r["student_id"]: r for r in csv.DictReader(f)}
    assert len(rows) == 8 and set(exported) == set(everyone)
    assert float(exported["alice_1"]["raw_score"]) == expected_scores["alice"]
    assert exported["dave_0"]["status"].startswith("error: ")


def test_concurrent_record_writes_lose_nothing(server):
    """Two processes upserting records of the same assignment at once, 200 each, interleaved."""
    url = server.create_database()
    script = (
        "import sys\n"
        "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import Session\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from grading import records\n"
        "engine = create_engine(sys.argv[1].replace('postgresql://', 'postgresql+psycopg://'))\n"
        "for i in range(200):\n"
        "    with Session(engine) as s:\n"
        "        records.write(s, 'a1', f'{sys.argv[2]}{i}', 'graded', 'sub', 'tests')\n"
        "        records.write(s, 'a1', 'shared', sys.argv[2], 'sub', 'tests')\n"
        "        s.commit()\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, url, who], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for who in ("x", "y")]
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0, out
    import sqlalchemy as sa
    from sqlalchemy.orm import Session
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with Session(engine) as s:
        found = records.read(s, "a1")["a1"]
    engine.dispose()
    assert len(found) == 401 and found["shared"].status in ("x", "y")


RECORD_RACE = """
import os, sys, time
from pathlib import Path
from grading import grader, status
from grading.stages import Result
root, name, barrier = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
(barrier / f"ready-{os.getpid()}").touch()   # imports done
while not (barrier / "go").exists():         # both processes begin together, when the test says go
    time.sleep(0.001)
for i in range(25):
    grader.record(root, Result(name, f"s{i:02d}", ("sub", "tests"), problems={name: status.error("missing notebook")}))
"""


def test_two_graders_recording_the_same_new_students_at_once(server, tmp_path, monkeypatch):
    """nbgrader creates a new student's rows (student, submission) committing as it goes; two
    graders recording the same new students at the same moment both succeed, one row each."""
    import time
    url = server.create_database()
    root = demo.make_course(tmp_path / "c", [NAME])
    monkeypatch.setenv("COURSE_DB_URL", url)
    from grading import release
    release.ensure_in_gradebook(root, NAME)
    env = dict(os.environ, COURSE_DB_URL=url, OMP_NUM_THREADS="1")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", RECORD_RACE, str(root), NAME, str(barrier)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    while len(list(barrier.glob("ready-*"))) < 2 and all(p.poll() is None for p in procs):
        time.sleep(0.01)
    (barrier / "go").touch()
    outs = [p.communicate(timeout=300)[0] for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0, out[-3000:]
    import sqlalchemy as sa
    engine = sa.create_engine(course.db_url(root))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM student")).scalar() == 25
        assert conn.execute(sa.text("SELECT count(*) FROM submitted_assignment")).scalar() == 25
        assert conn.execute(sa.text("SELECT count(*) FROM course_grading")).scalar() == 25
    engine.dispose()
