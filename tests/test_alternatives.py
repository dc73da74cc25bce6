"""Every correct answer listed in tests/alternatives/<assignment>.py passes every test cell.

The twin of tests/test_mistakes.py: there, wrong answers must fail; here, answers in other styles
than the solution (other ops, loops, float64, `model.forward(X)`, code that warns, ...) must earn
full marks, judged in process as `make grade` judges (grading/verdict.py). Each answer cell has at
least three. test_grading_alternatives.py grades them once more through the sandboxed grader.
"""
import runpy

from conftest import ASSIGNMENTS, REPO, read, source_notebooks
from test_mistakes import judge


def load(name):
    """{description: {"cell": answer grade id, "code": ...}} for assignment `name`."""
    return runpy.run_path(str(REPO / "tests" / "alternatives" / f"{name}.py"))["ALTERNATIVES"]


class AlternativesOf:
    name = None

    def test_answer_earns_full_marks(self, alternative):
        entry = load(self.name)[alternative]
        failed = {k: v for k, v in judge(self.name, {entry["cell"]: entry["code"]}).items() if v}
        assert failed == {}, f"{alternative!r} is correct but failed: {failed}"

    def test_three_per_answer_cell_and_one_that_warns(self):
        answers = {c.metadata["nbgrader"]["grade_id"] for path in source_notebooks(self.name)
                   for c in read(path).cells if c.cell_type == "code"
                   and c.metadata.get("nbgrader", {}).get("solution")}
        entries = load(self.name).values()
        counts = {cell: sum(e["cell"] == cell for e in entries) for cell in answers}
        assert {cell: n for cell, n in counts.items() if n < 3} == {}, "at least three per answer cell"
        assert {e["cell"] for e in entries} <= answers


def pytest_generate_tests(metafunc):
    if "alternative" in metafunc.fixturenames:
        names = list(load(metafunc.cls.name))
        metafunc.parametrize("alternative", names, ids=names)


for _name in ASSIGNMENTS:
    globals()[f"TestAlternatives_{_name}"] = type(f"TestAlternatives_{_name}", (AlternativesOf,), {"name": _name})
