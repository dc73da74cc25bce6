"""Check my work, without the hub (grading/check.py): a student's check gives the verdicts
`make grade` gives the same notebook, and nothing of the hidden tests.

The demo class of two assignments (lesson 1's plain tests; lesson 2's outcome tests on hidden
sets) is graded by the pipeline (`demo.run`, as `make demo`); then each student's submitted
notebook is checked: each test's points equal the gradebook's, each failed test's message equals
the verdict written into the autograded notebook, and the answer (its JSON) holds no line of a
hidden test and none of the values the hidden checks expect.
"""
import json
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import graded_tests, read
from grading import check, course, demo, reference
from grading import outcome as heldout
from grading.verdict import FAILED, HIDDEN_CHECKS

sys.path.insert(0, str(Path(__file__).parent))
from test_grading_e2e import hidden_lines  # noqa: E402

NAMES = ("01_tensor_basics", "02_linear_regression")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A demo course with both assignments graded by `make grade`'s pipeline, and a Checker on it."""
    root = tmp_path_factory.mktemp("check") / "course"
    demo.run(list(NAMES), target=root, out=lambda *a: None)
    with check.Checker(root, demo.default_settings(out=lambda *a: None)) as checker:
        yield root, checker


def sent(root, name, student):
    return {p.name: p.read_bytes() for p in (root / "submitted" / student / name).glob("*.ipynb")}


def graded_by_make_grade(root, name, student):
    """{grade_id: (points, message of a failed test)} as `make grade` recorded them."""
    from nbgrader.api import Gradebook
    api = course.nbgrader_api(root)
    points = {}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        for nb in gb.find_submission(name, student).notebooks:
            for grade in nb.grades:
                if grade.cell.cell_type == "code":
                    points[grade.name] = grade.auto_score
    messages = {}
    for path in (root / "autograded" / student / name).glob("*.ipynb"):
        for cell in graded_tests(read(path)):
            failed = [o.evalue for o in cell.outputs if o.output_type == "error" and o.ename == FAILED]
            messages[cell.metadata.nbgrader["grade_id"]] = failed[0] if failed else ""
    return {gid: (points[gid], messages.get(gid, "")) for gid in points}


def hidden_values(root, name):
    """The text of every value a hidden check of `name` expects (the reference's observations)
    and of the held-out targets, where it is specific enough to search for (5 characters or more)
    and not in the student's copy anyway (a visible test may name 'ValueError' too)."""
    held = heldout.load(root, name)
    ref = reference.load(root, name, reference.key(root, name, held.fingerprint))
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, float):
            found.add(f"{value:.6g}")
        elif isinstance(value, (int, str)):
            found.add(str(value))
    for tests in ref.values():
        for observed in tests.values():
            for r in observed:
                if r["fn"] in HIDDEN_CHECKS:
                    walk(r.get("value"))
    for targets in held.targets.values():
        walk(targets)
    visible = "".join(p.read_text() for p in (root / "release" / name).glob("*.ipynb"))
    return {v for v in found if len(v) >= 5 and v not in visible}


@pytest.mark.parametrize("name", NAMES)
def test_a_check_gives_the_verdicts_of_make_grade(graded, name):
    root, checker = graded
    expected = demo.expected_scores(name)
    for student in ("alice", "bob", "carol"):
        result = checker.check(name, student, sent(root, name, student))
        assert result.problems == {}, result.problems
        assert result.score == expected[student], (student, result.score)
        mine = {v.grade_id: (v.points, v.message) for v in result.verdicts}
        assert mine == graded_by_make_grade(root, name, student), student
        assert result.notebook_hash == check.notebook_hash(sent(root, name, student))
    # dave's notebook is not JSON: the check says so, as make grade's status does, and gives 0
    result = checker.check(name, "dave", sent(root, name, "dave"))
    assert result.score == 0 and result.max_score == expected["alice"]
    assert "not valid JSON" in " ".join(result.problems.values())


def test_an_outcome_test_says_the_metric_reached(graded):
    root, checker = graded
    result = checker.check("02_linear_regression", "alice", sent(root, "02_linear_regression", "alice"))
    outcomes = [v for v in result.verdicts if v.metric]
    assert outcomes and all(v.passed and "hidden sets" in v.metric for v in outcomes), result.verdicts


@pytest.mark.parametrize("name", NAMES)
def test_the_answer_shows_nothing_of_the_hidden_tests(graded, name):
    root, checker = graded
    secrets, values = hidden_lines(name), hidden_values(root, name)
    assert secrets and values, f"{name}: nothing hidden to look for"
    for student in ("alice", "bob", "carol"):
        text = json.dumps(checker.check(name, student, sent(root, name, student)).as_json())
        assert "HIDDEN TESTS" not in text
        assert [line for line in secrets if line in text] == [], student
        assert [v for v in values if v in text] == [], student


def test_a_notebook_the_assignment_does_not_have_is_refused(graded):
    root, checker = graded
    with pytest.raises(course.GradingError, match="has no notebook"):
        checker.check("01_tensor_basics", "alice", {"other.ipynb": b"{}"})
    with pytest.raises(course.GradingError, match="no assignment"):
        checker.check("../01_tensor_basics", "alice", {"x.ipynb": b"{}"})


def test_a_check_records_no_grade(graded):
    """The gradebook's scores and the grading records are the same after checks as before."""
    root, checker = graded
    name = "01_tensor_basics"
    before = {s: graded_by_make_grade(root, name, s) for s in ("alice", "carol")}
    from grading import grades
    records_before = grades.load_status(root, name)
    swapped = nbformat.writes(read(root / "submitted" / "bob" / name / f"{name}.ipynb")).encode()
    checker.check(name, "alice", {f"{name}.ipynb": swapped})   # alice checks a blank copy
    assert {s: graded_by_make_grade(root, name, s) for s in ("alice", "carol")} == before
    assert grades.load_status(root, name) == records_before


@pytest.mark.parametrize("name", NAMES)
def test_a_known_mistake_gets_its_hint_and_a_correct_answer_none(graded, name):
    """Once the grader has cached the known mistakes' signatures, a check whose failures match one
    carries its hint under the failing test, as the feedback does: carol made the demo's mistake;
    alice (correct) and bob (the untouched copy, failing everything) get none."""
    from grading import clusters, observed
    root, checker = graded
    mistake = demo.demo_data(name)["wrong"]
    entries = clusters.spec(name)
    hint = entries[mistake]["hint"]
    a = checker.assignment(name)
    before = checker.check(name, "carol", sent(root, name, "carol"))
    assert not any(v.hints for v in before.verdicts), "a hint before the mistakes' signatures were cached"
    # the signature of the demo's mistake as the grader would cache it (carol's notebook is that
    # entry's answer in the student's copy), from her notebook executed as a check executes it
    future, _, _, _ = checker.submit(name, "carol", sent(root, name, "carol"))
    clusters._keep(root, name, a.ref_key, entries, {mistake: observed.failures(future.result().notebooks, a.ref)})
    a._known_at = None   # the service reads the cache again within a minute
    given = {v.grade_id: v.hints for v in checker.check(name, "carol", sent(root, name, "carol")).verdicts if v.hints}
    first = min(entries[mistake]["fails"], key=a.order.index)
    assert given == {first: (hint,)}
    for student in ("alice", "bob"):
        assert not any(v.hints for v in checker.check(name, student, sent(root, name, student)).verdicts), student
