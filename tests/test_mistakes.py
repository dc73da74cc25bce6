"""Every typical wrong answer listed in tests/mistakes/<assignment>.py fails exactly its tests.

The instructor notebook is run in this process with one answer cell replaced by the mistake, and
its test cells are judged against the solution's observations by grading/verdict.py (as under
`make grade`); the set of failing test cells must equal the entry's `fails`, plus any of its
`may_fail`: outcome tests the mistake lands near the bar of, which it fails on some hidden sets
or random streams and not on others (each such entry says why). The full solution must fail none. One test class per assignment, so that pytest-xdist (`--dist loadscope`) spreads them.
"""
import functools

from conftest import ASSIGNMENTS, graded_tests, read, source_notebooks
import specs
from inprocess import reference, run_cells


@functools.lru_cache(maxsize=None)
def _references(name):
    return tuple(reference(read(path), cwd=path.parent) for path in source_notebooks(name))


def judge(name, answers=None):
    """{test grade_id: '' or why it failed} for assignment `name` with `answers` in place."""
    results = {}
    for path, ref in zip(source_notebooks(name), _references(name)):
        results.update(run_cells(read(path), answers, cwd=path.parent, ref=ref))
    return results


class MistakesOf:
    name = None

    def test_solution_passes_every_test(self):
        results = judge(self.name)
        assert results, f"{self.name} has no autograded test cells"
        assert {k: v for k, v in results.items() if v} == {}

    def test_mistake_is_caught(self, mistake):
        spec = specs.load_spec(self.name)["MISTAKES"][mistake]
        results = judge(self.name, specs.mistake_answers(specs.load_spec(self.name), mistake))
        failed = {test for test, error in results.items() if error}
        assert set(spec["fails"]) <= failed <= set(spec["fails"]) | set(spec.get("may_fail", ())), (
            f"{mistake!r} should fail exactly {sorted(spec['fails'])} "
            f"(and may fail {sorted(spec.get('may_fail', ()))}), failed {sorted(failed)}: "
            + "; ".join(f"{k}: {v}" for k, v in results.items() if v))

    def test_spec_names_real_cells(self):
        spec = specs.load_spec(self.name)
        nbs = [read(path) for path in source_notebooks(self.name)]
        answer_ids = {c.metadata["nbgrader"]["grade_id"] for nb in nbs for c in nb.cells
                      if c.metadata.get("nbgrader", {}).get("solution")}
        test_ids = {c.metadata["nbgrader"]["grade_id"] for nb in nbs for c in graded_tests(nb)}
        for mistake, entry in spec["MISTAKES"].items():
            assert entry["cell"] in answer_ids, f"{mistake}: no answer cell {entry['cell']!r}"
            assert entry["fails"] and set(entry["fails"]) <= test_ids, f"{mistake}: unknown tests {entry['fails']}"
            assert set(entry.get("may_fail", ())) <= test_ids - set(entry["fails"]), f"{mistake}: may_fail"
        assert len(spec["MISTAKES"]) >= 6, "list at least six typical mistakes"
        assert spec["DEMO"]["wrong"] in spec["MISTAKES"]
        assert set(spec["DEMO"]["scores"]) == {"alice", "bob", "carol"}


def pytest_generate_tests(metafunc):
    if "mistake" in metafunc.fixturenames:
        names = list(specs.load_spec(metafunc.cls.name)["MISTAKES"])
        metafunc.parametrize("mistake", names, ids=names)


for _name in ASSIGNMENTS:
    globals()[f"TestMistakes_{_name}"] = type(f"TestMistakes_{_name}", (MistakesOf,), {"name": _name})
