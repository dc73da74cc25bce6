"""Nothing is lost under faults: SIGKILL mid-class, re-runs, and manual grades across regrading."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO
from grading import course, demo, grader, sandbox

NAME = "01_tensor_basics"
# Skipped only where bubblewrap is missing outside CI; in CI (which installs it) these must run.
pytestmark = pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                                reason="bubblewrap (bwrap) is not installed")


def make_class(root, copies):
    """The demo class, each student copied `copies` times (alice_0, bob_0, carol_0, dave_0, ...)."""
    demo.write_class(root, NAME)
    expected = {}
    scores = demo.expected_scores(NAME)
    for student in demo.STUDENTS:
        for i in range(copies):
            shutil.copytree(root / "submitted" / student, root / "submitted" / f"{student}_{i}")
            expected[f"{student}_{i}"] = scores.get(student, 0)
        shutil.rmtree(root / "submitted" / student)
    return expected


def grade_command(root):
    code = (f"import sys; sys.path.insert(0, {str(REPO)!r}); from grading import grader; "
            f"grader.grade({str(root)!r}, {NAME!r}, grader.Settings(workers=2), progress=False)")
    return [sys.executable, "-c", code]


def test_sigkill_mid_class_then_rerun_finishes_with_identical_scores(tmp_path, gradebook):
    from nbgrader.api import Gradebook

    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    expected = make_class(root, copies=1)
    status_file = root / course.STATUS_FILE
    proc = subprocess.Popen(grade_command(root), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    recorded = {}
    while time.monotonic() < deadline and proc.poll() is None:
        if status_file.exists():
            recorded = json.loads(status_file.read_text()).get(NAME, {})
            if any(v == "graded" for v in recorded.values()):
                break
        time.sleep(0.2)
    assert proc.poll() is None, "grading finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = json.loads(status_file.read_text()).get(NAME, {})   # as the kill left it
    assert 0 < len(recorded) < len(expected), f"interrupted after {len(recorded)} of {len(expected)}"

    # Start again: the class finishes, with exactly the scores of an uninterrupted run.
    quiet = dict(out=lambda *_: None, progress=False)
    rerun = grader.grade(root, NAME, grader.Settings(workers=2), **quiet)
    assert set(rerun) == set(expected) - set(recorded), "the re-run grades exactly the students not yet graded"
    final = json.loads(status_file.read_text())[NAME]
    assert set(final) == set(expected)
    scores = course.scores(root, NAME)
    assert {s: scores[s][0] for s in expected} == expected
    assert all(v == "graded" for s, v in final.items() if not s.startswith("dave")), final
    assert all(v.startswith("error: ") for s, v in final.items() if s.startswith("dave"))
    leftovers = [p.name for p in (root / "autograded").rglob(".*")]
    assert leftovers == [], f"half-written autograded folders: {leftovers}"

    # A third run has nothing left to do; a forced regrade keeps the instructor's manual grades.
    assert grader.grade(root, NAME, grader.Settings(workers=2), **quiet) == {}
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        gb.find_grade("why_inplace_fails", NAME, NAME, "alice_0").manual_score = 1
        gb.find_comment("why_inplace_fails", NAME, NAME, "alice_0").manual_comment = "Clear and correct."
        gb.db.commit()
    again = grader.grade(root, NAME, grader.Settings(workers=2, force=True), only={"alice_0"}, **quiet)
    assert again == {"alice_0": "graded"}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        assert gb.find_grade("why_inplace_fails", NAME, NAME, "alice_0").manual_score == 1
        assert gb.find_comment("why_inplace_fails", NAME, NAME, "alice_0").manual_comment == "Clear and correct."
        assert gb.find_submission(NAME, "alice_0").score == 9   # 8 autograded + 1 manual
