"""Shared fixtures and helpers for the course's tests."""
import os
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading import course, release  # noqa: E402

ASSIGNMENTS = course.assignments(REPO)


def source_notebooks(name):
    """Return the paths of assignment `name`'s instructor notebooks."""
    return sorted((REPO / "source" / name).glob("*.ipynb"))


def graded_tests(nb):
    """Return the autograded test cells of a notebook."""
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def marked_lines(cells_, begin, end, longer_than=15):
    """The stripped lines of `cells_` between a line naming `begin` and one naming `end` (nbgrader's
    BEGIN/END SOLUTION or HIDDEN TESTS), those of more than `longer_than` characters: specific
    enough to search a feedback page or a hint for."""
    lines = []
    for cell in cells_:
        inside = False
        for line in cell.source.splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and len(line.strip()) > longer_than:
                lines.append(line.strip())
    return lines


@pytest.fixture(params=ASSIGNMENTS)
def assignment(request):
    return request.param


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="session")
def gradebook(tmp_path_factory):
    """A gradebook recording every assignment, generated once per test session (per worker) and
    copied into each scratch course, instead of each course generating its own."""
    from grading import demo
    root = demo.make_course(tmp_path_factory.mktemp("template") / "course", ASSIGNMENTS)
    release.generate(root, ASSIGNMENTS, release_dir=str(tmp_path_factory.mktemp("regen")))
    return root / "gradebook.db"


def processes_naming(path):
    """[(pid, argv)] of the live processes whose command line names `path` (a run's scratch
    folder: its kernels, bwrap and setpriv)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                argv = open(f"/proc/{entry.name}/cmdline", "rb").read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if any(str(path) in arg for arg in argv):
                found.append((int(entry.name), argv))
    return found


# `make test-fast`: the tests that start no kernel, sandbox, browser, hub or database server, in
# about two minutes; every test outside these files, and every test using a fixture that grades a
# class, is marked `slow` here (as are a few slow ones inside them, by their own decorator).
FAST_FILES = set("""
test_checks.py
test_classification.py
test_cli.py
test_debugging.py
test_demo_class.py
test_devices.py
test_docs.py
test_environment.py
test_fashion.py
test_hub_config.py
test_hints.py
test_hub_k8s.py
test_launcher.py
test_lecture_claims.py
test_lms.py
test_logistic.py
test_outcome.py
test_regression.py
test_release.py
test_report_units.py
test_softmax_fast.py
test_spiral.py
test_test_cells.py
test_tooling.py
test_train.py
test_verdict.py
""".split())   # one per line: branches that add one merge cleanly
GRADING_FIXTURES = {"gradebook", "graded", "capped_run"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name not in FAST_FILES or GRADING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


_config = None


def pytest_configure(config):
    global _config
    _config = config


def pytest_runtest_logreport(report):
    """Name a failure when it happens (in the grading process of `make test`, under xdist too), not
    only in the summary at the end of a run that takes minutes."""
    if report.failed and _config is not None:
        terminal = _config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(f"\nFAILED {report.nodeid} ({report.when}); the run goes on", red=True, bold=True)
