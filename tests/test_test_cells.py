"""Every assignment's test cells follow the rules that keep verdicts outside the kernel.

Visible region: checks that teach (`assert_close`, `assert_tensor`, `check`), no bare `assert`
(the grader would not see it) and no `observe`. Hidden region: only `observe(...)` and
`outcome(...)` (predictions on held-out sets), no assert and no check that could carry an expected
value into the kernel, and at least one observation.
"""
import ast

import pytest

from conftest import ASSIGNMENTS, read, source_notebooks
from grading import cells

TEACHING = {"assert_close", "assert_tensor", "assert_finite", "check"}


def _calls(tree):
    return [n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
            for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _test_cells():
    for name in ASSIGNMENTS:
        for path in source_notebooks(name):
            for cell in cells.test_cells(read(path)):
                yield pytest.param(cell, id=f"{name}:{cells.grade_id(cell)}")


@pytest.mark.parametrize("cell", _test_cells())
def test_cell_keeps_its_regions_apart(cell):
    visible, hidden = cells.split_hidden(cell.source)
    seen, unseen = ast.parse("\n".join(visible)), ast.parse("\n".join(hidden))
    assert ast.get_docstring(seen), "a test cell opens with a docstring saying what it checks"
    assert not any(isinstance(n, ast.Assert) for n in ast.walk(seen)), "use check(condition, message)"
    assert "observe" not in _calls(seen), "observe belongs in the hidden region"
    assert not any(isinstance(n, ast.Assert) for n in ast.walk(unseen)), "no assert in the hidden region"
    assert not TEACHING & set(_calls(unseen)), "the hidden region only observes"
    assert "observe" in _calls(unseen), "each test cell has hidden observations"


def test_split_hidden_separates_the_regions():
    visible, hidden = cells.split_hidden("a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3")
    assert (visible, hidden) == (["a = 1", "c = 3"], ["b = 2"])
