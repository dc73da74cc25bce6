"""A class on the course hub, end to end, all on 127.0.0.1.

A throwaway PostgreSQL holds the gradebook; `make hub`'s JupyterHub (deploy/jupyterhub_config.py,
with the test-only dummy authenticator) starts each student's server as a throwaway unix account.
The instructor releases lesson 1 through nbgrader's exchange; three students log in through the
hub's REST API (user name and password for a token), start their servers and fetch and submit
through nbgrader's Assignments handlers there (what the Assignments tab calls): one correct, one
blank, one hostile. The course has an id of its own, and its grader service runs as a throwaway
grader account that owns the course folder. The instructor collects, grades with `make grade`
into PostgreSQL, generates and releases feedback; each student fetches their own feedback, and
cannot read another's submission, feedback or home. Formgrader (the grader service) answers the
instructor, shows the scores it reads from PostgreSQL, and refuses the students.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

import hub_support
import postgres_support
from conftest import REPO, processes_naming
from grading import course, demo, grades, sandbox

sys.path.insert(0, str(REPO / "deploy"))
import privacy  # noqa: E402

NAME = "01_tensor_basics"
BIN = Path(sys.executable).parent

HOSTILE = """import helpers.checks as hc
hc.assert_close = hc.assert_tensor = hc.check = hc.observe = lambda *a, **k: None
try:
    open('/etc/hostile-e2e', 'w').write('pwned')
except OSError:
    pass
"""


def instructor(argv, root, env, timeout=300):
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, argv))}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


@pytest.fixture
def scratch():
    base = Path(tempfile.mkdtemp(prefix="hub-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_a_class_on_the_hub(scratch):
    hub_support.require_hub_tools()
    postgres_support.require_binaries()
    started = time.monotonic()
    tag = os.urandom(3).hex()
    course_id = f"c{tag}"                      # a course of its own: its groups, service, grader
    grader = f"grader-{course_id}"
    correct, blank, hostile = (f"e2e{tag}{x}" for x in "abc")
    teacher = f"e2e{tag}t"
    students = [correct, blank, hostile]
    homes, exchange = scratch / "home", scratch / "exchange"
    homes.mkdir(mode=0o755)
    root = demo.make_course(scratch / "course", [NAME])
    (filename, source_nb, release_nb), = demo.notebooks(root, NAME)

    with postgres_support.running() as pg, hub_support.unix_users(students + [grader], homes) as accounts:
        privacy.secure(root, grader)   # the grader account owns the course folder, closed to others
        db_url = pg.create_database()
        course_env = dict(os.environ, COURSE_ID=course_id, COURSE_DB_URL=db_url, COURSE_EXCHANGE=str(exchange),
                          OMP_NUM_THREADS="1", TMPDIR=str(scratch), PATH=f"{BIN}:{os.environ.get('PATH', '')}")
        hub_env = dict(COURSE_ROOT=str(root), COURSE_EXCHANGE=str(exchange), COURSE_DB_URL=db_url,
                       COURSE_INSTRUCTORS=teacher, COURSE_STUDENTS=",".join(students), COURSE_ID=course_id)
        (scratch / "state").mkdir()
        with hub_support.running_hub(scratch / "state", hub_env) as hub:
            # The instructor releases lesson 1 through the exchange.
            instructor([BIN / "nbgrader", "release_assignment", NAME], root, course_env)

            # Formgrader is the instructor's: the grader service answers them, not a student.
            teacher_token = hub.login(teacher)
            tokens = {s: hub.login(s) for s in students}
            deadline = time.monotonic() + 60
            while hub.api("GET", f"/services/{course_id}/api/status", token=teacher_token).status_code != 200:
                assert time.monotonic() < deadline, f"the grader service did not answer:\n{hub.tail()}"
                time.sleep(0.5)
            service = [pid for pid, argv in processes_naming(f"--ServerApp.root_dir={root}") if "-m" in argv]
            assert service and all(Path(f"/proc/{pid}").stat().st_uid == accounts[grader].pw_uid for pid in service), \
                "Formgrader does not run as the grader account"
            page = hub.api("GET", f"/services/{course_id}/formgrader", token=teacher_token)
            assert page.status_code == 200 and "formgrade" in page.text.lower(), (page.status_code, page.url)
            for path in ("api/status", "formgrader"):
                refused = hub.api("GET", f"/services/{course_id}/{path}", token=tokens[blank], allow_redirects=False)
                assert refused.status_code == 403, f"a student reached Formgrader's {path}: {refused.status_code}"

            # Each student: their own server (as their unix account), fetch, work, submit.
            answers = {correct: demo.fill(release_nb, demo.solution_cells(source_nb)), blank: None,
                       hostile: demo.fill(release_nb, {k: HOSTILE for k in demo.solution_cells(source_nb)})}
            for student in students:
                hub.start_server(student, tokens[student])
                pid = hub_support.singleuser_pid(accounts[student].pw_uid)
                assert pid, f"no server runs as {student}"
                env = hub_support.process_env(pid)
                assert env["OMP_NUM_THREADS"] == "1" and env["JUPYTERHUB_USER"] == student
                user = f"/user/{student}"
                r = hub.api("POST", f"{user}/assignments/fetch", token=tokens[student],
                            data={"course_id": course_id, "assignment_id": NAME})
                assert r.status_code == 200, f"{student} fetch: {r.status_code} {r.text[:500]}"
                fetched = [p for p in Path(accounts[student].pw_dir).rglob(filename) if "feedback" not in p.parts]
                assert len(fetched) == 1, f"{student} fetched {fetched}"
                if answers[student] is not None:
                    nbformat.write(answers[student], fetched[0])
                    shutil.chown(fetched[0], accounts[student].pw_uid, accounts[student].pw_gid)
                r = hub.api("POST", f"{user}/assignments/submit", token=tokens[student],
                            data={"course_id": course_id, "assignment_id": NAME})
                assert r.status_code == 200 and "success\": false" not in r.text, f"{student} submit: {r.text[:500]}"

            # The course environment in a student's server: helpers imports, one torch thread.
            probe = hub_support.as_user(correct, [env["PATH"].split(":")[0] + "/python", "-c",
                                                  "import helpers, torch; print(torch.get_num_threads())"],
                                        env={k: env[k] for k in ("PATH", "OMP_NUM_THREADS", "JUPYTER_CONFIG_PATH")},
                                        timeout=120)
            assert probe.returncode == 0 and probe.stdout.strip() == "1", probe.stderr[-2000:]

            # The instructor collects, grades into PostgreSQL, and returns feedback.
            instructor([BIN / "nbgrader", "collect", NAME], root, course_env)
            assert sorted(course.students(root, NAME)) == sorted(students)
            instructor(["make", "-C", str(REPO), "grade", f"A={NAME}", f"COURSE={root}", "WORKERS=2",
                        f"SANDBOX={int(sandbox.bwrap_available())}"], root, course_env)
            instructor([sys.executable, "-m", "grading", "feedback", "--course", str(root), NAME], root, course_env)
            instructor([BIN / "nbgrader", "release_feedback", NAME], root, course_env)

            os.environ.update(COURSE_DB_URL=db_url, COURSE_ID=course_id)
            try:
                scores = grades.scores(root, NAME)
            finally:
                del os.environ["COURSE_DB_URL"], os.environ["COURSE_ID"]
            assert not (root / "gradebook.db").exists(), "grading wrote sqlite, not PostgreSQL"
            full = demo.expected_scores(NAME)["alice"]
            assert scores[correct][0] == full and scores[blank][0] == 0 and scores[hostile][0] == 0, scores
            assert not Path("/etc/hostile-e2e").exists()

            # Formgrader (the service, on COURSE_DB_URL) shows the same scores from PostgreSQL.
            r = hub.api("GET", f"/services/{course_id}/formgrader/api/submissions/{NAME}", token=teacher_token)
            assert r.status_code == 200, f"Formgrader's submissions: {r.status_code} {r.text[:300]}"
            shown = {sub["student"]: sub["score"] for sub in r.json()}
            assert shown == {correct: full, blank: 0, hostile: 0}, shown

            # Each student fetches their own feedback.
            pages = {}
            for student in students:
                r = hub.api("POST", f"/user/{student}/assignments/fetch_feedback", token=tokens[student],
                            data={"course_id": course_id, "assignment_id": NAME})
                assert r.status_code == 200, f"{student} fetch_feedback: {r.text[:500]}"
                found = list(Path(accounts[student].pw_dir).rglob(f"feedback/*/{NAME}.html"))
                assert len(found) == 1, f"{student}'s feedback: {found}"
                pages[student] = found[0]

            # ... and nobody else's. Homes are private (unix permissions). In the exchange, nbgrader's
            # model: a student cannot list the submissions or the released feedback, and each is
            # under a name they cannot guess (the submission's 72 random bits; the feedback's hash
            # of the submission's secret), so another's cannot be found.
            inbound = exchange / course_id / "inbound"
            released = exchange / course_id / "feedback"
            theirs = [p.name for p in inbound.iterdir() if p.name.startswith(correct + "+")]
            assert len(theirs) == 1 and len(theirs[0].rsplit("+", 1)[1]) == 12, theirs
            for other in (blank, hostile):
                for target, what in ((pages[correct], "feedback in their home"),
                                     (Path(accounts[correct].pw_dir), "home")):
                    peek = hub_support.as_user(other, ["cat" if target.suffix else "ls", str(target)], timeout=30)
                    assert peek.returncode != 0 and "denied" in peek.stderr, f"{other} read {correct}'s {what}"
                for folder in (inbound, released):
                    peek = hub_support.as_user(other, ["ls", str(folder)], timeout=30)
                    assert peek.returncode != 0 and "denied" in peek.stderr, f"{other} listed {folder}"
            # Each student's own page, with their own score.
            for student, expect in ((correct, full), (blank, 0), (hostile, 0)):
                assert f"{NAME} (Score: {float(expect)} / " in pages[student].read_text(), student
    assert time.monotonic() - started < 300
