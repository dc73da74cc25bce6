"""The command line answers at once: `--help`, a usage error and a wrong assignment name import
neither torch nor nbgrader (issue 26); the grading process never imports torch for a constant."""
import subprocess
import sys

from conftest import REPO
from grading import __main__ as cli, lms, verdict
from helpers import checks


def imported(*args):
    """(exit status, output, the top-level modules imported) of `python -X importtime -m grading ...`."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "grading", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    modules = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    return done.returncode, done.stdout + done.stderr, modules


def test_help_imports_neither_torch_nor_nbgrader():
    status, out, modules = imported("--help")
    assert status == 0 and "grade the submissions of an assignment" in out
    assert "grading" in modules and not {"torch", "nbgrader", "helpers", "numpy"} & modules


def test_a_wrong_assignment_name_is_a_usage_error_before_any_heavy_import():
    status, out, modules = imported("grade", "05_spiral_mpl")
    assert status == 2
    assert "no assignment '05_spiral_mpl'" in out and "05_spiral_mlp" in out   # the names it could be
    assert not {"torch", "nbgrader", "helpers"} & modules


def test_a_folder_that_is_not_a_course_is_a_usage_error(tmp_path):
    status, out, modules = imported("export", "--course", str(tmp_path))
    assert status == 2 and "not a course folder" in out and "torch" not in modules


def test_the_grading_process_imports_no_torch():
    code = "import sys, grading.grader, grading.fanout, grading.feedback, grading.autograde, grading.lms; " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'helpers')))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_strings_written_twice_agree():
    assert verdict.OBSERVATION_MIME == checks.OBSERVATION_MIME
    assert verdict.OBSERVE_ENV == checks.OBSERVE_ENV
    assert cli.MOODLE_IDS == tuple(sorted(lms.MOODLE_IDS))
