"""The loader fuzzed: whatever a submitted notebook holds, preparing it gives that student a
prepared notebook or a problem, never an exception that would stop the class (issue 23).

Hypothesis mutates assignment 1's student copy (deep nesting, huge numbers, wrong types, missing
keys, duplicate and forged grade ids, many cells) or writes arbitrary bytes, and `grader.prepare`
must answer for that one student. One class is then graded end to end: malformed students beside
an honest one, and one whose recording fails, each an error while the honest one gets the demo's
score. Example counts are small (the whole file takes well under a minute of preparation).
"""
import copy
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import REPO
from grading import course, demo, grader, grades, restore, sandbox, status
from grading import record as recording
from grading import gradebook as gradebook_course
from grading.stages import Result

NAME = "01_tensor_basics"
FILE = f"{NAME}.ipynb"
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def course_root(tmp_path_factory, gradebook):
    root = demo.make_course(tmp_path_factory.mktemp("fuzz") / "course", [NAME], gradebook)
    run = gradebook_course.Course(root)
    yield root, run, restore.Snapshot.of(run, NAME)
    run.close()


def release_dict():
    (_, source_nb, release_nb), = demo.notebooks(REPO, NAME)
    return json.loads(nbformat.writes(demo.fill(release_nb, demo.solution_cells(source_nb))))


BASE = None


def base():
    global BASE
    BASE = BASE or release_dict()
    return copy.deepcopy(BASE)


def prepare_bytes(course_root, data, student="fuzzed"):
    """Write `data` as `student`'s notebook and prepare it: (ready, problems), never raising."""
    root, run, snapshot = course_root
    folder = root / "submitted" / student / NAME
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / FILE).write_bytes(data)
    prepared = grader.prepare(run, NAME, student, snapshot)
    ready, problems = prepared.notebooks, prepared.problems
    assert set(ready) | set(problems), "neither a notebook nor a problem"
    if ready:
        assert set(ready) == {NAME} and not problems
        assert isinstance(ready[NAME], nbformat.NotebookNode)
    else:
        assert all(isinstance(p, status.Status) and p.kind == "error" and p.why for p in problems.values())
    return ready, problems


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def places(nb):
    """(container, key) pairs of a notebook dict where a value can be replaced or removed."""
    found = [(nb, k) for k in nb]
    for cell in nb.get("cells", []):
        found += [(cell, k) for k in cell]
        meta = cell.get("metadata", {})
        found += [(meta, k) for k in meta]
        found += [(meta["nbgrader"], k) for k in meta.get("nbgrader", {})]
    return found or [(nb, "cells")]


@FUZZ
@given(where=st.integers(min_value=0), depth=st.sampled_from([50, 99, 101, 500, 5000, 100_000]),
       bracket=st.sampled_from(["[]", "{}"]))
def test_deep_nesting(course_root, where, depth, bracket):
    nb = base()
    container, key = (lambda p: p[where % len(p)])(places(nb))
    container[key] = "@@NEST@@"
    opening, closing = bracket
    inner = "1" if opening == "[" else ""
    nest = (opening + ('"k":' if opening == "{" else "")) * depth + inner + closing * depth
    if opening == "{":
        nest = '{"k":' * (depth - 1) + "{}" + "}" * (depth - 1)
    prepare_bytes(course_root, json.dumps(nb).replace('"@@NEST@@"', nest).encode())


@FUZZ
@given(where=st.integers(min_value=0), number=st.sampled_from(
    ["9" * 4300, "9" * 4301, "9" * 5000, "-" + "1" * 10_000, "1e400", "-1e400", "1" * 300 + ".5e-400"]))
def test_huge_numbers(course_root, where, number):
    nb = base()
    container, key = (lambda p: p[where % len(p)])(places(nb))
    container[key] = "@@NUM@@"
    prepare_bytes(course_root, json.dumps(nb).replace('"@@NUM@@"', number).encode())


@FUZZ
@given(where=st.integers(min_value=0), value=json_values)
def test_wrong_types(course_root, where, value):
    nb = base()
    container, key = (lambda p: p[where % len(p)])(places(nb))
    container[key] = value
    prepare_bytes(course_root, json.dumps(nb).encode())


@FUZZ
@given(wheres=st.lists(st.integers(min_value=0), min_size=1, max_size=4))
def test_missing_keys(course_root, wheres):
    nb = base()
    for where in wheres:
        spots = places(nb)
        container, key = spots[where % len(spots)]
        container.pop(key, None)
    prepare_bytes(course_root, json.dumps(nb).encode())


@FUZZ
@given(data=st.data())
def test_duplicate_and_forged_grade_ids(course_root, data):
    nb = base()
    graded = [c for c in nb["cells"] if "nbgrader" in c["metadata"]]
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in graded]
    for cell in data.draw(st.lists(st.sampled_from(graded), max_size=5)):
        forged = cell["metadata"]["nbgrader"]
        forged["grade_id"] = data.draw(st.sampled_from(ids) | st.text(max_size=12))
        if data.draw(st.booleans()):
            forged["points"] = data.draw(st.sampled_from([-5, 0, 1e9, 10**30, "11", None]))
        if data.draw(st.booleans()):
            forged["grade"], forged["solution"], forged["locked"] = (data.draw(st.booleans()) for _ in range(3))
    copies = data.draw(st.lists(st.sampled_from(graded), max_size=3))
    nb["cells"] += copy.deepcopy(copies)   # the same grade id (and cell id) twice
    prepare_bytes(course_root, json.dumps(nb).encode())


@FUZZ
@given(data=st.binary(max_size=200) | st.sampled_from(
    [b"", b"{}", b"[]", b"null", b"\xff\xfe\x00\x00", b'{"cells": []}', b'{"nbformat": 4}',
     b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "{\"a\": \"\udcff\"}".encode(errors="surrogatepass")]))
def test_arbitrary_bytes(course_root, data):
    ready, problems = prepare_bytes(course_root, data)
    assert not ready


@pytest.mark.parametrize("cells", [course.MAX_CELLS, course.MAX_CELLS + 1, 10_000])
def test_many_cells(course_root, cells):
    nb = base()
    nb["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": "x", "id": f"m{i}"}
                    for i in range(cells - len(nb["cells"]))]
    ready, problems = prepare_bytes(course_root, json.dumps(nb).encode())
    if cells > course.MAX_CELLS:
        assert str(problems[NAME]) == f"error: {FILE} is a notebook of {cells} cells: the grader takes at most {course.MAX_CELLS}"
    else:
        assert NAME in ready


def test_a_failure_while_recording_is_that_students_the_databases_is_the_graders(monkeypatch):
    """`record` failing on what one submission holds records that student as an error; a
    database failure is the grader's and goes up."""
    from sqlalchemy.exc import OperationalError
    calls = []

    def record(course, result, ref=None):
        calls.append((result.student, dict(result.problems)))
        if result.notebooks:
            raise RecursionError("maximum recursion depth exceeded")
        return str(result.status)
    monkeypatch.setattr(recording, "record", record)
    outcome = recording.record_one("root", Result(NAME, "deep", notebooks={NAME: object()}))
    assert outcome == "error: the submission could not be recorded: RecursionError: maximum recursion depth exceeded"

    def database_down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))
    monkeypatch.setattr(recording, "record", database_down)
    with pytest.raises(OperationalError):
        recording.record_one("root", Result(NAME, "anyone"))


# One class, end to end: malformed students and one honest one.
SETTINGS = grader.Settings(workers=2, cell_timeout=30, notebook_timeout=120, memory_mb=3072)


@pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                    reason="bubblewrap (bwrap) is not installed")
def test_a_class_of_malformed_students_beside_an_honest_one(tmp_path, gradebook, monkeypatch):
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    honest = base()

    def spoiled(change):
        nb = base()
        change(nb)
        return json.dumps(nb).encode()

    def source_is_a_number(nb):
        nb["cells"][3]["source"] = 12345

    def no_cells_key(nb):
        del nb["cells"]

    def grade_id_is_a_list(nb):
        next(c for c in nb["cells"] if "nbgrader" in c["metadata"])["metadata"]["nbgrader"]["grade_id"] = ["x"]

    def deep(nb):
        nb["metadata"]["deep"] = "@@"

    students = {
        "honest": json.dumps(honest).encode(),
        "source_is_a_number": spoiled(source_is_a_number),
        "no_cells_key": spoiled(no_cells_key),
        "grade_id_is_a_list": spoiled(grade_id_is_a_list),
        "deep_metadata": spoiled(deep).replace(b'"@@"', b"[" * 3000 + b"]" * 3000),
        "huge_integer": spoiled(deep).replace(b'"@@"', b"7" * 6000),
        "ten_thousand_cells": json.dumps(dict(honest, cells=honest["cells"] * 400)).encode(),
        "binary": os.urandom(64) + b"\xff",
        "recording_fails": json.dumps(dict(honest, metadata=dict(honest["metadata"], fuzz_record="fail"))).encode(),
    }
    for student, data in students.items():
        folder = root / "submitted" / student / NAME
        folder.mkdir(parents=True)
        (folder / FILE).write_bytes(data)
    real_apply = recording.apply_verdicts

    def apply_verdicts(nb, tests):   # a failure in the recording step, on this submission only
        if nb.metadata.get("fuzz_record") == "fail":
            raise ValueError("the notebook's outputs could not be judged")
        return real_apply(nb, tests)
    monkeypatch.setattr(recording, "apply_verdicts", apply_verdicts)
    scratch = Path(tempfile.mkdtemp(prefix="fz-", dir="/tmp"))
    try:
        import dataclasses
        result = grader.grade(root, NAME, dataclasses.replace(SETTINGS, scratch=str(scratch)),
                              out=lambda *_: None, progress=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    scores = grades.scores(root, NAME)
    assert result["honest"] == "graded" and scores["honest"][0] == demo.expected_scores(NAME)["alice"]
    broken = {s: result.get(s, "") for s in students if s != "honest"}
    assert {s: r.startswith("error: ") for s, r in broken.items()} == dict.fromkeys(broken, True), broken
    assert broken["recording_fails"] == ("error: the submission could not be recorded: ValueError: "
                                         "the notebook's outputs could not be judged")
    assert {s: scores.get(s, (0.0,))[0] for s in broken} == dict.fromkeys(broken, 0)
    assert set(grades.load_status(root, NAME)[NAME]) == set(students)   # every one recorded
