"""Copying the lectures earns at most 10 % of an assignment's autograded points.

An exercise that asks for a function the lecture already wrote tests typing, not understanding.
For every assignment this builds the submission of a student who copies: the untouched student
copy (release/), where each answer cell that defines a function or class of a name some lecture
also defines has the lecture's definition put after its stub, so that it replaces it. What the
copier takes from a lecture:

* every top-level `def` and `class` of its code cells, and every one printed in its stored outputs
  (lesson 2 prints `linreg`, `squared_loss` and `sgd` from helpers with `inspect.getsource`);
* the lecture's definitions that a copied one calls, and the lecture's imports of the names they
  use (a student copies the cells a function needs to run). Module-level variables of the lecture
  are not copied: a definition that reads one fails, as it would for the student.

Where several lectures define a name, the copier takes the lecture with the assignment's number, or
else the nearest earlier one, or else the nearest later one. A lecture definition with another
signature than the exercise asks for still counts as copying: it simply earns what it earns.

The submission is judged in this process as tests/test_mistakes.py judges a wrong answer (the
instructor notebook run with the copier's answer cells, its test cells judged by grading/verdict.py
against the solution's observations, outcome tests on their held-out sets), and the points are each
test cell's points times the share its verdict earns. The untouched student copy earns 0 (the
demo's bob, in tests/test_grading_e2e.py), so every point counted here is earned by the copying.
`pytest -s` prints the figures per assignment.
"""
import ast
import functools
import re

import pytest

from conftest import ASSIGNMENTS, REPO, graded_tests, read, source_notebooks
from grading import cells, verdict
from inprocess import execute, reference

LIMIT = 0.10   # the share of the autograded points copying the lectures may earn
LECTURES = sorted((REPO / "notebooks").glob("*.ipynb"))


def _parse(text):
    """The module of `text`, IPython's magic and shell lines dropped; None if it is no Python."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _printed_definitions(text):
    """The `def`/`class` blocks in a cell's printed output (source shown with inspect.getsource)."""
    blocks = re.split(r"(?m)^(?=(?:def|class) )", text)
    return [tree for block in blocks if block.startswith(("def ", "class "))
            for tree in [_parse(block)] if tree is not None]


@functools.lru_cache(maxsize=None)
def lecture(path):
    """({name: source of its top-level def or class}, {bound name: source of its import}) of one
    lecture, from its code cells and the source printed in their outputs."""
    definitions, imports = {}, {}
    for cell in read(path).cells:
        if cell.cell_type != "code":
            continue
        trees = [_parse(cell.source)]
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            trees += _printed_definitions(text if isinstance(text, str) else "".join(text))
        for tree in filter(None, trees):
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    definitions[node.name] = ast.unparse(node)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        bound = (alias.asname or alias.name).split(".")[0]
                        imports[bound] = ast.unparse(type(node)(**{**node.__dict__, "names": [alias]}))
    return definitions, imports


def _number(path):
    return int(path.name.split("_")[0])


def lecture_for(name, number):
    """The lecture the copier takes `name` from for assignment `number` (module docstring), or None."""
    having = [path for path in LECTURES if name in lecture(path)[0]]
    if not having:
        return None
    return min(having, key=lambda p: (_number(p) != number, _number(p) > number, abs(_number(p) - number)))


def copied(names, path):
    """The source a student copies from lecture `path` for `names`: the imports, then the
    definitions, those the named ones call included."""
    definitions, imports = lecture(path)
    wanted, todo = [], list(names)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.append(name)
        used = {n.id for n in ast.walk(ast.parse(definitions[name])) if isinstance(n, ast.Name)}
        todo += sorted(used & set(definitions) - set(wanted))
    used = set().union(*({n.id for n in ast.walk(ast.parse(definitions[name])) if isinstance(n, ast.Name)}
                         | {n.value.id for n in ast.walk(ast.parse(definitions[name]))
                            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
                         for name in wanted))
    lines = sorted({imports[name] for name in used if name in imports and name not in definitions})
    return "\n".join(lines + [definitions[name] for name in reversed(wanted)])


def copier_answers(name):
    """({answer grade_id: the copier's source}, {grade_id: [(name, lecture file)]}) of assignment `name`."""
    number = int(name.split("_")[0])
    answers, taken = {}, {}
    for path in sorted((REPO / "release" / name).glob("*.ipynb")):
        for cell in read(path).cells:
            if cell.cell_type != "code" or not cells.is_answer(cell):
                continue
            tree = _parse(cell.source)
            defined = [n.name for n in (tree.body if tree else [])
                       if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            sources = {}
            for defined_name in defined:
                found = lecture_for(defined_name, number)
                if found is not None:
                    sources.setdefault(found, []).append(defined_name)
            answers[cells.grade_id(cell)] = "\n\n".join(
                [cell.source] + [copied(names, found) for found, names in sources.items()])
            if sources:
                taken[cells.grade_id(cell)] = [(n, f.name) for f, ns in sources.items() for n in ns]
    return answers, taken


def points(name, answers):
    """(points earned, autograded points in all, {test grade_id: points earned}) with `answers`."""
    earned, total = {}, 0.0
    for path in source_notebooks(name):
        nb = read(path)
        ref = reference(nb, cwd=path.parent)
        worth = {cells.grade_id(c): float(c.metadata["nbgrader"]["points"]) for c in graded_tests(nb)}
        total += sum(worth.values())
        for grade_id, cell in execute(nb, answers, cwd=path.parent).items():
            if grade_id in worth:
                earned[grade_id] = verdict.judge(ref.get(grade_id, []), cell).points(worth[grade_id])
    return sum(earned.values()), total, earned


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_copying_the_lectures_earns_at_most_a_tenth(name):
    answers, taken = copier_answers(name)
    earned, total, per_test = points(name, answers)
    print(f"\n{name}: copying the lectures earns {earned:g} of {total:g} autograded points "
          f"({earned / total:.0%}); copied: "
          + (", ".join(f"{n} ({f}) into {g}" for g, pairs in taken.items() for n, f in pairs) or "nothing")
          + "; earned by: " + (", ".join(f"{t} {p:g}" for t, p in per_test.items() if p) or "nothing"))
    assert total > 0, f"{name} has no autograded points"
    assert earned <= LIMIT * total, (
        f"{name}: copying the lectures' functions earns {earned:g} of {total:g} autograded points "
        f"(more than {LIMIT:.0%}): {', '.join(f'{t} {p:g}' for t, p in per_test.items() if p)}")


def test_the_copier_copies_what_the_lectures_show():
    """The copier finds lecture 2's printed helpers and lecture 4's accuracy, and a copied function
    brings the lecture definitions it calls and the imports it uses."""
    printed, _ = lecture(REPO / "notebooks" / "02_linear_regression.ipynb")
    assert {"linreg", "squared_loss", "sgd", "mse"} <= set(printed)
    assert lecture_for("accuracy", 4).name.startswith("04_") and lecture_for("accuracy", 5).name.startswith("05_")
    assert lecture_for("train_nn", 2).name.startswith("03_")
    three = REPO / "notebooks" / "03_logistic_regression.ipynb"
    code = copied(["train_from_scratch"], three)
    assert "def minibatches" in code and "import torch" in code
    compile(code, "copied", "exec")
