"""release/ is a fresh generation of source/, and every student copy fails all its autograded tests."""
import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ASSIGNMENTS, REPO, graded_tests, read
from grading import course


def test_release_matches_a_fresh_generation():
    drift = course.release_drift(REPO)
    assert drift == [], "release/ is out of date; run `make release` and commit:\n" + "\n".join(drift)


def test_every_assignment_has_a_release_copy():
    released = sorted(p.name for p in (REPO / "release").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_copy_fails_every_autograded_test(name):
    for path in sorted((REPO / "release" / name).glob("*.ipynb")):
        nb = read(path)
        assert "### BEGIN SOLUTION" not in nbformat.writes(nb), f"{path.name} leaks a solution"
        assert "### BEGIN HIDDEN TESTS" not in nbformat.writes(nb), f"{path.name} leaks hidden tests"
        NotebookClient(nb, timeout=300, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}).execute()
        tests = graded_tests(nb)
        assert tests, f"{path.name} has no autograded tests"
        passing = [c.metadata.nbgrader["grade_id"] for c in tests
                   if not any(o.output_type == "error" for o in c.outputs)]
        assert passing == [], f"{path.name}: these tests pass on the untouched student copy: {passing}"
