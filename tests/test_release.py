"""release/ is a fresh generation of source/, and every student copy fails all its autograded tests."""
import shutil

import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO, graded_tests, read
from grading import release


def test_release_matches_a_fresh_generation():
    drift = release.release_drift(REPO)
    assert drift == [], "release/ is out of date; run `make release` and commit:\n" + "\n".join(drift)


def test_checking_the_release_writes_nothing_into_the_course(tmp_path):
    """check-release (and the test above) build their own scratch gradebook: a check leaves no
    gradebook.db behind in the repository, nor touches the instructor's."""
    course = tmp_path / "course"
    shutil.copytree(REPO, course, ignore=shutil.ignore_patterns(".venv", ".git", "build", "gradebook.db*"))
    assert release.release_drift(course, ["01_tensor_basics"]) == []
    assert not (course / "gradebook.db").exists()


def test_every_assignment_has_a_release_copy():
    released = sorted(p.name for p in (REPO / "release").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_copy_hides_solutions_and_hidden_tests(name):
    """(That every student copy fails each of its autograded tests is checked on the demo class's
    bob, who submits the untouched copy: see tests/test_grading_e2e.py.)"""
    for path in sorted((REPO / "release" / name).glob("*.ipynb")):
        text = nbformat.writes(read(path))
        assert "### BEGIN SOLUTION" not in text, f"{path.name} leaks a solution"
        assert "### BEGIN HIDDEN TESTS" not in text, f"{path.name} leaks hidden tests"
        assert graded_tests(read(path)), f"{path.name} has no autograded tests"
