"""The course hub keeps the course private (deploy/privacy.py, deploy/jupyterhub_config.py).

A course set up as the deployment does it (README, `make hub`): source/, the submissions of two
students, their autograded notebooks and feedback and the sqlite gradebook, given to a grader
account by `deploy/privacy.py`. A third, throwaway student account, logged in to `make hub`'s
JupyterHub, gets its own server; as that account it fails to list the course folder or read
any of those files, or the environment of the grader's service or the hub, and its server's
environment holds no database URL, no password and none of the tokens the hub and its service
and proxy hold. The hub refuses to start on a course folder others can read.
"""
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import hub_support
import postgres_support
from conftest import REPO, processes_naming
from grading import course, demo
from test_hub_config import load

sys.path.insert(0, str(REPO / "deploy"))
import privacy  # noqa: E402

NAME = "01_tensor_basics"


def make_class(root):
    """A graded class of two (alice, bob): source/, submitted/, autograded/, feedback/, gradebook.db."""
    from nbgrader.api import Gradebook
    root = demo.make_course(root, [NAME])
    (filename, _, _), = demo.notebooks(root, NAME)
    demo.write_class(root, NAME)
    for student in ("alice", "bob"):
        nb = root / "submitted" / student / NAME / filename
        (root / "autograded" / student / NAME).mkdir(parents=True)
        shutil.copy(nb, root / "autograded" / student / NAME / filename)
        (root / "feedback" / student / NAME).mkdir(parents=True)
        (root / "feedback" / student / NAME / filename.replace(".ipynb", ".html")).write_text("<p>7 / 11</p>")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in ("alice", "bob"):
            gb.update_or_create_student(student)
    return root, filename


@pytest.fixture
def scratch():
    base = Path(tempfile.mkdtemp(prefix="hubp-", dir="/tmp"))
    os.chmod(base, 0o755)          # like /srv: every account may enter, the course folder is closed
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_a_student_reads_nothing_of_the_course_and_holds_no_secret(scratch, monkeypatch):
    hub_support.require_hub_tools()
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")   # nbgrader's alembic
    tag = os.urandom(3).hex()
    course_id = f"p{tag}"
    grader, student = f"grader-{course_id}", f"pv{tag}s"
    homes = scratch / "home"
    homes.mkdir(mode=0o755)
    root, filename = make_class(scratch / "course")
    html = filename.replace(".ipynb", ".html")
    password = secrets.token_hex(8)
    db_url = f"postgresql://{grader}:{password}@127.0.0.1:9/dlcourse"   # never connected to
    with hub_support.unix_users([student, grader], homes) as accounts:
        privacy.secure(root, grader)
        assert privacy.problems(root, grader, [student]) == []
        private = {
            "the course folder's listing": ["ls", str(root)],
            "source/ (solutions, hidden tests)": ["cat", str(root / "source" / NAME / filename)],
            "another's submission": ["cat", str(root / "submitted" / "bob" / NAME / filename)],
            "another's autograded notebook": ["cat", str(root / "autograded" / "alice" / NAME / filename)],
            "another's feedback": ["cat", str(root / "feedback" / "bob" / NAME / html)],
            "the gradebook": ["cat", str(root / "gradebook.db")],
        }
        for what, argv in private.items():
            peek = hub_support.as_user(student, argv, timeout=30)
            assert peek.returncode != 0 and "Permission denied" in peek.stderr, \
                f"{student} read {what}: {peek.returncode} {peek.stdout[:200]!r} {peek.stderr[:200]!r}"

        state = scratch / "state"
        state.mkdir()
        hub_env = dict(COURSE_ROOT=str(root), COURSE_EXCHANGE=str(scratch / "exchange"), COURSE_DB_URL=db_url,
                       COURSE_INSTRUCTORS=f"pv{tag}t", COURSE_STUDENTS=student, COURSE_ID=course_id)
        with hub_support.running_hub(state, hub_env) as hub:
            hub.start_server(student, hub.login(student))
            pid = hub_support.singleuser_pid(accounts[student].pw_uid)
            assert pid, f"no server runs as {student}"
            seen = hub_support.process_env(pid)
            assert seen["JUPYTERHUB_USER"] == student and seen["USER"] == student
            # The same reads from the server's python, as a notebook would try them.
            probe = hub_support.as_user(student, [seen["PATH"].split(":")[0] + "/python", "-c", (
                "import sys\n"
                "for p in sys.argv[1:]:\n"
                "    try: open(p).read(1); print('READ', p)\n"
                "    except PermissionError: print('denied')\n"),
                str(root / "gradebook.db"), str(root / "source" / NAME / filename)],
                env={"PATH": seen["PATH"]}, timeout=60)
            assert probe.returncode == 0 and probe.stdout.split() == ["denied", "denied"], probe.stdout + probe.stderr

            # Every secret the hub, its proxy and the grader's service hold.
            held = {"COURSE_DB_URL": db_url, "the database password": password,
                    "the cookie secret": (state / "jupyterhub_cookie_secret").read_bytes().hex()}
            proxy = int((state / "jupyterhub-proxy.pid").read_text())
            held["the proxy's token"] = hub_support.process_env(proxy)["CONFIGPROXY_AUTH_TOKEN"]
            service = [p for p, argv in processes_naming(f"--ServerApp.root_dir={root}") if "-m" in argv]
            assert service, f"the grader service is not running:\n{hub.tail()}"
            grader_env = hub_support.process_env(service[0])
            assert grader_env["COURSE_DB_URL"] == db_url     # the grader's service has it, for the gradebook
            held["the grader service's token"] = grader_env["JUPYTERHUB_API_TOKEN"]
            assert all(len(v) >= 16 for v in held.values()), {k: len(v) for k, v in held.items()}
            found = {what: privacy.leaks(seen, [value]) for what, value in held.items()}
            assert not any(found.values()), f"{student}'s server holds {found}"
            assert not [k for k in seen if "DB_URL" in k or "PASSWORD" in k or k.startswith("CONFIGPROXY")], seen.keys()

            # Nor can the student read them from the processes that hold them.
            for what, other in (("the grader service", service[0]), ("the proxy", proxy), ("the hub", hub.process.pid)):
                peek = hub_support.as_user(student, ["cat", f"/proc/{other}/environ"], timeout=30)
                assert peek.returncode != 0 and "Permission denied" in peek.stderr, f"{student} read {what}'s environment"


def test_the_hub_refuses_a_course_or_gradebook_others_can_read(tmp_path, scratch):
    if os.getuid() != 0:
        pytest.skip("the hub with per-student accounts runs as root")
    done, _ = load(tmp_path, COURSE_HUB_SPAWNER="localprocess")
    assert done.returncode == 0, done.stderr
    (tmp_path / "course").chmod(0o755)
    done, _ = load(tmp_path, COURSE_HUB_SPAWNER="localprocess")
    assert done.returncode != 0 and "the course is not private" in done.stderr and "deploy/privacy.py" in done.stderr
    (tmp_path / "course").chmod(0o750)
    gradebook = scratch / "gradebook.db"          # a sqlite gradebook elsewhere, 0644 on an open way
    gradebook.write_text("")
    gradebook.chmod(0o644)
    done, _ = load(tmp_path, COURSE_HUB_SPAWNER="localprocess", COURSE_DB_URL=f"sqlite:///{gradebook}")
    assert done.returncode != 0 and f"the gradebook {gradebook} is readable by every account" in done.stderr
    gradebook.chmod(0o600)
    done, _ = load(tmp_path, COURSE_HUB_SPAWNER="localprocess", COURSE_DB_URL=f"sqlite:///{gradebook}")
    assert done.returncode == 0, done.stderr
    # Students' data inside the private course folder: their servers could not read it.
    done, _ = load(tmp_path, COURSE_HUB_SPAWNER="localprocess", FASHION_MNIST_DIR=str(tmp_path / "course"))
    assert done.returncode != 0 and "closed to other users" in done.stderr


def test_problems_names_each_way_in(tmp_path):
    if os.getuid() != 0:
        pytest.skip("needs accounts of other groups: as root")
    course = tmp_path / "course"
    course.mkdir(mode=0o750)
    assert privacy.problems(course, "grader-nobody-here", ["s1"]) == []
    os.chown(course, 0, 0)                         # 0750 root:root, and "root" a student
    assert "which has students in it: root" in " ".join(privacy.problems(course, "grader-nobody-here", ["root"]))
    course.chmod(0o755)
    assert "open to every account" in privacy.problems(course, "grader-nobody-here", [])[0]


def test_students_servers_get_named_variables_only(tmp_path):
    db_url = "postgresql://grader:hunter2hunter2@db/dl"
    done, c = load(tmp_path, COURSE_DB_URL=db_url, COURSE_HUB_SPAWNER="simple",
                   JUPYTERHUB_CRYPT_KEY="k" * 32, CONFIGPROXY_AUTH_TOKEN="t" * 32)
    assert done.returncode == 0, done.stderr
    assert "holds a password" in done.stderr
    spawner = c["Spawner"]
    assert spawner["env_keep"] == []
    assert privacy.leaks(spawner["environment"], [db_url, "hunter2hunter2", "k" * 32, "t" * 32]) == []
    assert c["JupyterHub"]["services"][0]["environment"]["COURSE_DB_URL"] == db_url
    assert privacy.leaks({"PATH": "/usr/bin", "X": "bin"}, ["bin"]) == ["X"]     # short: whole values only


def test_the_gradebook_by_peer_authentication_without_a_password(tmp_path, monkeypatch):
    """The README's COURSE_DB_URL: no password, no host (the unix socket), the role of the unix
    account that grades; another role by the same way is refused."""
    if os.getuid() != 0:
        pytest.skip("peer authentication maps the grading account: root, as `make grade` runs")
    import psycopg
    from nbgrader.api import Gradebook
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")   # nbgrader's alembic
    root = demo.make_course(tmp_path / "c", [NAME])
    with postgres_support.running(local_auth="peer") as pg:
        with psycopg.connect(host="127.0.0.1", port=pg.port, user="course", dbname="postgres", autocommit=True) as db:
            db.execute("CREATE ROLE root LOGIN")
            db.execute("CREATE DATABASE dlcourse OWNER root")
        socket = f"host={pg.folder}&port={pg.port}"        # Debian's default socket needs neither
        monkeypatch.setenv("COURSE_DB_URL", f"postgresql:///dlcourse?{socket}")
        assert ":" not in course.db_url(root).split("//", 1)[1].split("@")[0]
        with Gradebook(course.db_url(root), "dl-course") as gb:
            gb.update_or_create_student("alice")
        with Gradebook(course.db_url(root), "dl-course") as gb:
            assert [s.id for s in gb.students] == ["alice"]
        monkeypatch.setenv("COURSE_DB_URL", f"postgresql://course@/dlcourse?{socket}")
        with pytest.raises(Exception, match="[Pp]eer authentication failed"):
            Gradebook(course.db_url(root), "dl-course")
