"""A real class on one machine: bounded kernels, clean interruption, nothing lost under faults,
and regrading that follows changed submissions and tests.

Each run goes through the instructor's command (`python -m grading grade`) in its own process
group, with TMPDIR pointing at a folder of the test's own, so that its kernels and scratch
folders can be told apart from those of tests running beside it.
"""
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, processes_naming
from grading import cgroup, course, demo, feedback, grader, grades, sandbox, work
from grading.records import Record

NAME = "01_tensor_basics"
# Skipped only where bubblewrap is missing outside CI; in CI (which installs it) these must run.
pytestmark = pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                                reason="bubblewrap (bwrap) is not installed")
QUIET = dict(out=lambda *_: None, progress=False)
SLOW_SECONDS = 15   # a slow student's sleep (the cell timeout is 60 s)


def make_class(root, copies, slow=0):
    """The demo class, each student copied `copies` times (alice_0, bob_0, carol_0, dave_0, ...),
    and `slow` more copies of alice, zz_slow_0 ..., graded last (students go in sorted order),
    whose first answer cell sleeps SLOW_SECONDS: a run that began is still running that long
    after everyone else is graded (the window a test interrupts it in, however busy the machine)."""
    demo.write_class(root, NAME)
    expected = {}
    scores = demo.expected_scores(NAME)
    for i in range(slow):
        target = root / "submitted" / f"zz_slow_{i}"
        shutil.copytree(root / "submitted" / "alice", target)
        path = target / NAME / f"{NAME}.ipynb"
        nb = nbformat.read(path, as_version=4)
        answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
        answer.source += f"\n\nimport time\ntime.sleep({SLOW_SECONDS})"
        nbformat.write(nb, path)
        expected[target.name] = scores.get("alice", 0)
    for student in demo.STUDENTS:
        for i in range(copies):
            shutil.copytree(root / "submitted" / student, root / "submitted" / f"{student}_{i}")
            expected[f"{student}_{i}"] = scores.get(student, 0)
        shutil.rmtree(root / "submitted" / student)
    return expected


@pytest.fixture
def tmpdir_short():
    """A TMPDIR of the test's own with a short path (the kernels' sockets live below it)."""
    path = Path(tempfile.mkdtemp(prefix="gt-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start(root, tmpdir, *extra):
    """Start `make grade`'s command on `root` in a process group of its own."""
    env = dict(os.environ, TMPDIR=str(tmpdir), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "grading", "grade", "--course", str(root), NAME,
                             "--workers", "2", *extra], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def live_kernels(path):
    """The live kernels of a run whose scratch is below `path`: their sandboxes (a bwrap process
    naming `path`, one or more per kernel), keyed by the kernel's connection file or working folder,
    and any kernel forked from a zygote (a process of a sandbox uid running the zygote's code)."""
    live = set()
    for pid, argv in processes_naming(path):
        if os.path.basename(argv[0]) == "bwrap" and "--chdir" in argv:
            live.add(argv[argv.index("--chdir") + 1])
        elif os.path.basename(argv[0]).startswith("python") and "ipykernel_launcher" in argv and "-f" in argv:
            live.add(str(Path(argv[argv.index("-f") + 1]).parent.parent / "work"))
    for entry in os.scandir("/proc"):
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and entry.stat().st_uid >= 200_000 and \
                    b"grading.zygote" in Path(f"/proc/{entry.name}/cmdline").read_bytes():
                cwd = os.readlink(f"/proc/{entry.name}/cwd")   # its working folder, as bwrap's --chdir
                if cwd.startswith(str(path)):   # (not another run's, beside this one)
                    live.add(cwd)
    return live


def records(root):
    """{student: Record} of the class, as the gradebook holds them now ({} before there are any)."""
    try:
        with sqlite3.connect(f"file:{root / 'gradebook.db'}?mode=ro", uri=True, timeout=5) as db:
            rows = db.execute("SELECT student, status, submission_hash, tests_hash, due FROM course_grading "
                              "WHERE assignment = ?", (NAME,)).fetchall()
    except sqlite3.OperationalError:   # no gradebook or no table yet
        return {}
    return {student: Record(status, sub, tests, bool(due)) for student, status, sub, tests, due in rows}


def wait_for(predicate, proc, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def interrupt(proc, tmpdir):
    """SIGINT to the grader's process group; return the seconds it took to exit, its output."""
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    return time.monotonic() - sent, output


def assert_nothing_left(tmpdir):
    """Once the grading process has exited: no process of its sandboxes, none of their cgroups
    (which its killed workers could not remove) and no scratch folder is left."""
    assert processes_naming(tmpdir) == [], "processes of the run survived it"
    assert cgroup.left_below(tmpdir) == [], "cgroups of the run's sandboxes survived it"
    assert list(tmpdir.iterdir()) == [], f"scratch folders left: {list(tmpdir.iterdir())}"


def assert_final_scores(root, expected):
    scores = grades.scores(root, NAME)
    assert {s: scores[s][0] for s in expected} == expected
    final = records(root)
    assert set(final) == set(expected) and not any(r.due for r in final.values())
    assert all(r.status == "graded" for s, r in final.items() if not s.startswith("dave"))
    assert all(r.status.startswith("error: ") for s, r in final.items() if s.startswith("dave"))


def test_a_class_of_32_never_has_more_live_kernels_than_workers(tmp_path, gradebook, tmpdir_short):
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    expected = make_class(root, copies=8)
    tmpdir = tmpdir_short
    proc = start(root, tmpdir)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, len(live_kernels(tmpdir)))
        time.sleep(0.05)
    output = proc.stdout.read()
    assert proc.returncode == 0, output
    assert 1 <= peak <= 2, f"{peak} kernels were alive at once with 2 workers\n{output}"
    assert_nothing_left(tmpdir)
    assert_final_scores(root, expected)
    assert "32 students" in output and "mean" in output, output   # the summary after the table


@pytest.fixture(scope="module")
def interrupted_class(tmp_path_factory, gradebook):
    """A class of 12 whose first run is stopped by SIGINT after the first executed student."""
    base = tmp_path_factory.mktemp("interrupted")
    root = demo.make_course(base / "course", [NAME], gradebook)
    expected = make_class(root, copies=3, slow=2)   # two slow students: one per worker, last
    tmpdir = Path(tempfile.mkdtemp(prefix="gt-", dir="/tmp"))
    proc = start(root, tmpdir)
    assert wait_for(lambda: any(r.status == "graded" for r in records(root).values()), proc), proc.communicate()
    seconds, output = interrupt(proc, tmpdir)
    yield root, expected, tmpdir, proc.returncode, seconds, output, dict(records(root))
    shutil.rmtree(tmpdir, ignore_errors=True)


class TestInterruptAndResume:
    def test_sigint_stops_within_seconds_and_leaves_nothing(self, interrupted_class):
        root, expected, tmpdir, code, seconds, output, recorded = interrupted_class
        assert code == 130, output
        assert seconds < 15, f"took {seconds:.1f} s to stop"
        assert "interrupted by SIGINT" in output and "run the same command again" in output, output
        assert "Traceback" not in output, output
        assert 0 < len(recorded) < len(expected)
        assert_nothing_left(tmpdir)

    def test_rerun_grades_the_rest_with_identical_scores(self, interrupted_class):
        root, expected, _, _, _, _, recorded = interrupted_class
        rerun = grader.grade(root, NAME, grader.Settings(workers=2), **QUIET)
        assert set(rerun) == set(expected) - set(recorded), "the re-run grades exactly the students not yet graded"
        assert_final_scores(root, expected)
        assert grader.grade(root, NAME, grader.Settings(workers=2), **QUIET) == {}, "nothing left to do"

    def test_an_interrupted_forced_regrade_resumes_without_force(self, interrupted_class, tmpdir_short):
        root, expected, _, _, _, _, _ = interrupted_class
        tmpdir = tmpdir_short
        proc = start(root, tmpdir, "--force")
        regraded = lambda: 0 < sum(not r.due for r in records(root).values()) < len(expected)  # noqa: E731
        assert wait_for(lambda: any(r.due for r in records(root).values()) and regraded(), proc), proc.communicate()
        seconds, output = interrupt(proc, tmpdir)
        assert proc.returncode == 130 and seconds < 15, output
        assert_nothing_left(tmpdir)
        due = {s for s, r in records(root).items() if r.due}
        assert 0 < len(due) < len(expected)
        rerun = grader.grade(root, NAME, grader.Settings(workers=2), **QUIET)
        assert set(rerun) == due, "a plain re-run finishes exactly the forced regrade's remaining students"
        assert_final_scores(root, expected)

    def test_changed_submission_tests_and_student_selection_regrade_exactly_those(self, interrupted_class):
        root, expected, _, _, _, _, _ = interrupted_class
        # One student resubmits the full solution: only that student is regraded.
        shutil.copy(root / "submitted" / "alice_0" / NAME / f"{NAME}.ipynb", root / "submitted" / "bob_1" / NAME)
        assert set(grader.grade(root, NAME, grader.Settings(workers=2), **QUIET)) == {"bob_1"}
        assert grades.scores(root, NAME)["bob_1"][0] == expected["alice_0"]
        # STUDENT=carol_2 regrades just that student.
        assert set(grader.grade(root, NAME, grader.Settings(workers=2), only={"carol_2"}, **QUIET)) == {"carol_2"}
        # An exercise changes in source/ (its solution and its test): every student is graded
        # against the new tests, judged against the new solution's reference.
        path = root / "source" / NAME / f"{NAME}.ipynb"
        nb = nbformat.read(path, as_version=4)
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        by_id["pairwise_dots"].source = by_id["pairwise_dots"].source.replace("return P @ Q.T", "return 2 * (P @ Q.T)")
        by_id["test_pairwise_dots"].source = by_id["test_pairwise_dots"].source.replace(
            "assert_close(out, torch.tensor(", "assert_close(out, 2 * torch.tensor(")
        nbformat.write(nb, path)
        assert set(grader.grade(root, NAME, grader.Settings(workers=2), **QUIET)) == set(expected)
        after = grades.scores(root, NAME)
        points = 1   # test_pairwise_dots now fails for everyone who passed it
        assert after["alice_0"][0] == expected["alice_0"] - points


def test_sigkill_mid_class_then_rerun_finishes_with_identical_scores(tmp_path, gradebook, tmpdir_short):
    from nbgrader.api import Gradebook

    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    expected = make_class(root, copies=1)
    tmpdir = tmpdir_short
    proc = start(root, tmpdir)
    assert wait_for(lambda: any(r.status == "graded" for r in records(root).values()), proc), proc.communicate()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = records(root)   # as the kill left it
    assert 0 < len(recorded) < len(expected), f"interrupted after {len(recorded)} of {len(expected)}"

    # Start again: the class finishes, with exactly the scores of an uninterrupted run, and the
    # scratch folder the killed run could not remove is gone.
    rerun = grader.grade(root, NAME, grader.Settings(workers=2, scratch=str(tmpdir)), **QUIET)
    assert set(rerun) == set(expected) - set(recorded), "the re-run grades exactly the students not yet graded"
    assert_final_scores(root, expected)
    assert processes_naming(tmpdir) == []
    assert cgroup.left_below(tmpdir) == [], "the killed run's sandbox groups are removed by the next run"
    # (Python's multiprocessing keeps its own pymp-* folder, one socket, which a SIGKILL leaves.)
    assert [p.name for p in tmpdir.iterdir() if not p.name.startswith("pymp-")] == []
    leftovers = [p.name for p in (root / "autograded").rglob(".*")]
    assert leftovers == [], f"half-written autograded folders: {leftovers}"

    # A third run has nothing left to do; a forced regrade keeps the instructor's manual grades.
    assert grader.grade(root, NAME, grader.Settings(workers=2), **QUIET) == {}
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        gb.find_grade("why_inplace_fails", NAME, NAME, "alice_0").manual_score = 1
        gb.find_comment("why_inplace_fails", NAME, NAME, "alice_0").manual_comment = "Clear and correct."
        gb.db.commit()
    again = grader.grade(root, NAME, grader.Settings(workers=2, force=True), only={"alice_0"}, **QUIET)
    assert again == {"alice_0": "graded"}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        assert gb.find_grade("why_inplace_fails", NAME, NAME, "alice_0").manual_score == 1
        assert gb.find_comment("why_inplace_fails", NAME, NAME, "alice_0").manual_comment == "Clear and correct."
        assert gb.find_submission(NAME, "alice_0").score == 12   # 11 autograded + 1 manual


def test_broken_submissions_get_feedback_that_says_why(tmp_path, gradebook):
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    demo.write_class(root, NAME)
    shutil.rmtree(root / "submitted" / "bob")
    shutil.rmtree(root / "submitted" / "carol")
    (root / "submitted" / "alice" / NAME / f"{NAME}.ipynb").rename(root / "submitted" / "alice" / NAME / "mine.ipynb")
    grader.grade(root, NAME, grader.Settings(workers=2), **QUIET)
    feedback.generate(root, NAME)
    dave = (root / "feedback" / "dave" / NAME / f"{NAME}.html").read_text()
    assert "not valid JSON at line" in dave and "fetch a fresh copy" in dave
    alice = (root / "feedback" / "alice" / NAME / f"{NAME}.html").read_text()
    assert "missing notebook" in alice and "do not rename" in alice


def test_commands_refuse_an_empty_class_and_write_nothing(tmp_path):
    root = demo.make_course(tmp_path / "course", [NAME])
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for argv in (["grade", NAME], ["feedback", NAME], ["export"], ["autograde", NAME]):
        result = subprocess.run([sys.executable, "-m", "grading", argv[0], "--course", str(root), *argv[1:]],
                                capture_output=True, text=True, cwd=REPO)
        assert result.returncode == 2, (argv, result.stdout, result.stderr)
        assert "nothing was written" in result.stderr, (argv, result.stderr)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_a_grader_that_cannot_start_kernels_blames_no_student(tmp_path, gradebook):
    """A memory cap too small for torch breaks every kernel: the probe run before the class
    stops the run with an error for the instructor, and no student is scored or recorded."""
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    demo.write_class(root, NAME)
    with pytest.raises(course.GradingError, match="no student was graded") as err:
        grader.grade(root, NAME, grader.Settings(workers=2, memory_mb=300), **QUIET)
    assert "--memory-mb" in str(err.value)
    assert records(root) == {}
    assert grades.scores(root, NAME) == {}
    assert not (root / "autograded").exists()


def test_a_sandbox_that_cannot_import_helpers_blames_no_student(tmp_path, gradebook):
    """As when the course package was installed from another checkout than the one being graded:
    the kernels cannot import `helpers` (the grader can). The probe stops the run with an error
    for the instructor before any student code runs, and no student is scored or recorded."""
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    demo.write_class(root, NAME)
    other = Path(tempfile.mkdtemp(prefix="other-checkout-", dir="/var/tmp"))   # visible in the sandbox
    try:
        os.chmod(other, 0o755)   # and readable by the kernels' own uids
        (other / "helpers").mkdir()
        (other / "helpers" / "__init__.py").write_text(
            "import os\n"
            "if os.environ.get('COURSE_OBSERVE'):   # only inside a grading kernel\n"
            "    raise ImportError('helpers is installed from another checkout')\n"
            f"__path__.append({str(REPO / 'helpers')!r})\n"
            "from helpers.core import *  # noqa\n")
        env = dict(os.environ, PYTHONPATH=str(other), TMPDIR="/tmp")
        result = subprocess.run([sys.executable, "-m", "grading", "grade", "--course", str(root), NAME],
                                env=env, capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(other, ignore_errors=True)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no student was graded" in result.stderr and "another checkout" in result.stderr
    assert records(root) == {}
    assert grades.scores(root, NAME) == {}
    assert not (root / "autograded").exists()


def test_a_data_folder_reached_through_a_symlink_is_readable_in_the_sandbox(tmp_path, monkeypatch, tmpdir_short):
    """FASHION_MNIST_DIR through a symlink (a shared folder linked beside the clone): bwrap cannot
    mount onto a path through a link, so the grader mounts the folder where it leads."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "train-images-idx3-ubyte.gz").write_bytes(b"x")
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "link"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os\nprint(sorted(os.listdir(os.environ['FASHION_MNIST_DIR'])))")])
    os.chmod(tmpdir_short, 0o711)
    assert work.run_sandboxed(nb, tmp_path / "course", grader.Settings(), tmpdir_short) is None
    assert "train-images-idx3-ubyte.gz" in nb.cells[0].outputs[0]["text"]
