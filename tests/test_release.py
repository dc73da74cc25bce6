"""release/ is a fresh generation of source/, and every student copy fails all its autograded tests."""
import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO, graded_tests, read
from grading import release


def test_release_matches_a_fresh_generation():
    drift = release.release_drift(REPO)
    assert drift == [], "release/ is out of date; run `make release` and commit:\n" + "\n".join(drift)


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
