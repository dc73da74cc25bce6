"""Every typical wrong answer listed in tests/mistakes/<assignment>.py fails exactly its tests.

The instructor notebook is run in this process with one answer cell replaced by the mistake;
the set of failing test cells must equal the entry's `fails`. The full solution must fail none.
"""
import pytest

from conftest import ASSIGNMENTS, graded_tests, read, source_notebooks
from grading import demo
from grading.inprocess import run_cells

CASES = [(name, mistake) for name in ASSIGNMENTS for mistake in demo.load_spec(name)["MISTAKES"]]


def _run(name, answers=None):
    results = {}
    for path in source_notebooks(name):
        results.update(run_cells(read(path), answers, cwd=path.parent))
    return results


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_passes_every_test(name):
    results = _run(name)
    assert results, f"{name} has no autograded test cells"
    assert {k: v for k, v in results.items() if v} == {}


@pytest.mark.parametrize("name,mistake", CASES, ids=[f"{n}:{m}" for n, m in CASES])
def test_mistake_is_caught(name, mistake):
    spec = demo.load_spec(name)["MISTAKES"][mistake]
    results = _run(name, demo.mistake_answers(demo.load_spec(name), mistake))
    failed = {test for test, error in results.items() if error}
    assert failed == set(spec["fails"]), (
        f"{mistake!r} should fail exactly {sorted(spec['fails'])}, failed {sorted(failed)}: "
        + "; ".join(f"{k}: {v}" for k, v in results.items() if v))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_spec_names_real_cells(name):
    spec = demo.load_spec(name)
    nbs = [read(path) for path in source_notebooks(name)]
    answer_ids = {c.metadata["nbgrader"]["grade_id"] for nb in nbs for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("solution")}
    test_ids = {c.metadata["nbgrader"]["grade_id"] for nb in nbs for c in graded_tests(nb)}
    for mistake, entry in spec["MISTAKES"].items():
        assert entry["cell"] in answer_ids, f"{mistake}: no answer cell {entry['cell']!r}"
        assert entry["fails"] and set(entry["fails"]) <= test_ids, f"{mistake}: unknown tests {entry['fails']}"
    assert spec["DEMO"]["wrong"] in spec["MISTAKES"]
    assert set(spec["DEMO"]["scores"]) == {"alice", "bob", "carol"}

