"""The report's pieces without a kernel: signatures and their comparison, clusters, which hint a
student gets, the statistics, the dry run's comparison, similarity, and that no hint written in
tests/mistakes/ holds a hidden test's line or number (tests/test_report.py grades a class)."""
import re

import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO
from grading import analytics, clusters, dryrun, observed, similarity
from test_grading_e2e import hidden_lines


def _array(values, shape=None):
    return {"kind": "array", "shape": shape if shape is not None else [len(values)], "values": values}


def _cell(*records, error=None):
    outputs = [{"output_type": "display_data", "data": {observed.verdict.OBSERVATION_MIME: r}, "metadata": {}}
               for r in records]
    if error:
        outputs.append({"output_type": "error", "ename": error, "evalue": "secret 42", "traceback": []})
    return nbformat.from_dict({"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs})


REF = [{"fn": "assert_close", "name": "visible", "value": _array([1.0, 2.0]), "atol": 1e-6, "rtol": 1e-5},
       {"fn": "observe", "name": "hidden case 0", "value": _array([10.0, 20.0, 30.0]), "atol": 1e-6, "rtol": 1e-5}]


def _obs(fn, name, values, shape=None):
    return {"fn": fn, "name": name, "value": _array(values, shape)}


def test_a_passing_test_has_no_signature():
    assert observed.signature(REF, _cell(_obs("assert_close", "visible", [1.0, 2.0]),
                                         _obs("observe", "h", [10.0, 20.0, 30.0]))) is None


def test_signatures_of_the_same_values_within_tolerance_are_the_same():
    a = observed.signature(REF, _cell(_obs("assert_close", "visible", [1.0, 2.0]), _obs("observe", "h", [10.0, 21.0, 30.0])))
    b = observed.signature(REF, _cell(_obs("assert_close", "visible", [1.0, 2.0]),
                                      _obs("observe", "h", [10.0, 21.0000001, 30.0])))
    c = observed.signature(REF, _cell(_obs("assert_close", "visible", [1.0, 2.0]), _obs("observe", "h", [10.0, 22.0, 30.0])))
    assert a["at"] == 1 and a["check"] == "hidden case 0" and a["why"] == "wrong values"
    assert observed.same(a, b) and not observed.same(a, c)
    text = str(a)
    assert "21" not in text and "20" not in text, "neither the student's value nor the expected one is kept"


def test_shapes_types_and_errors_have_their_own_signatures():
    shape = observed.signature(REF, _cell(_obs("assert_close", "visible", [1.0, 2.0, 3.0])))
    assert shape == {"at": 0, "check": "visible", "why": "wrong shape", "fp": {"shape": [3], "n": 3}}
    raised = observed.signature(REF, _cell(_obs("assert_close", "visible", [1.0, 2.0]), error="ValueError"))
    assert raised == {"at": 1, "check": "hidden case 0", "why": "raised ValueError"}
    text = observed.signature(REF, _cell({"fn": "assert_close", "name": "v", "value": {"kind": "str", "value": "x"}}))
    assert text == {"at": 0, "check": "visible", "why": "expected a number or tensor, got a str", "fp": {"kind": "str"}}


def test_clusters_group_the_same_failure_and_are_named_after_known_mistakes():
    sig = lambda q: {"at": 1, "check": "c", "why": "wrong values", "fp": {"q": q}}   # noqa: E731
    failures = {"a": {"t1": sig([3])}, "b": {"t1": sig([4])}, "c": {"t1": sig([9]), "t2": sig([1])}, "d": {}}
    known = {"m": {"t1": sig([3])}, "other": {"t2": sig([5])}}
    groups = clusters.cluster(failures, ["t1", "t2"], known)
    assert [(g.test, g.students, g.mistakes) for g in groups] == [
        ("t1", ["a", "b"], ["m"]), ("t1", ["c"], []), ("t2", ["c"], [])]


SIG = {"at": 0, "check": "c", "why": "wrong values", "fp": {"q": [7]}}
OTHER = {"at": 0, "check": "c", "why": "wrong shape", "fp": {"shape": [2]}}
OUTCOME = {"at": 0, "check": "acc", "why": "outcome", "fp": {"band": "no points"}}
TESTS = ["t1", "t2", "t3"]
CHECKS = {"cell": {"t1", "t2"}, "fit": {"t3"}}


def _entries(**hints):
    out = {"m1": {"cell": "cell", "fails": {"t1"}}, "m2": {"cell": "cell", "fails": {"t1", "t2"}},
           "m3": {"cell": "fit", "fails": {"t3"}}}
    for name, hint in hints.items():
        out[name]["hint"] = hint
    return out


def test_a_hint_goes_to_the_student_whose_failures_match_under_the_first_failing_test():
    known = {"m1": {"t1": SIG}, "m2": {"t1": SIG, "t2": OTHER}, "m3": {"t3": OUTCOME}}
    entries = _entries(m1="look at one", m2="look at two", m3="train longer")
    assert clusters.hints_for({"t1": SIG}, known, entries, TESTS, CHECKS) == {"t1": ["look at one"]}
    # the most specific match only; and a test of the same cell failing otherwise rules m1 out
    assert clusters.hints_for({"t1": SIG, "t2": OTHER}, known, entries, TESTS, CHECKS) == {"t1": ["look at two"]}
    assert clusters.hints_for({"t1": SIG, "t2": SIG}, known, entries, TESTS, CHECKS) == {}
    # an outcome-only mistake gives no hint; a correct answer none either
    assert clusters.hints_for({"t3": OUTCOME}, known, entries, TESTS, CHECKS) == {}
    assert clusters.hints_for({}, known, entries, TESTS, CHECKS) == {}
    # no hint key: no hint
    assert clusters.hints_for({"t1": SIG}, known, _entries(), TESTS, CHECKS) == {}


def test_two_mistakes_the_observations_cannot_tell_apart_give_no_hint():
    entries = {"a": {"cell": "cell", "fails": {"t1"}, "hint": "one"}, "b": {"cell": "cell", "fails": {"t1"}, "hint": "two"}}
    known = {"a": {"t1": SIG}, "b": {"t1": SIG}}
    assert clusters.hints_for({"t1": SIG}, known, entries, TESTS, CHECKS) == {}


def _class(points, status=None):
    tests = ["t1", "t2", "t3"]
    return analytics.Class("A", tests, {"t1": 1.0, "t2": 2.0, "t3": 1.0}, points,
                           status or {s: "graded" for s in points})


def test_statistics_count_what_the_gradebook_holds():
    data = _class({"a": {"t1": 1, "t2": 2, "t3": 1}, "b": {"t1": 1, "t2": 0, "t3": 0},
                   "c": {"t1": 0, "t2": 1, "t3": 0}, "d": {"t1": 0, "t2": 0, "t3": 0}})
    stats = analytics.per_test(data)
    assert [(s.test, s.passed, round(s.difficulty, 3)) for s in stats] == [
        ("t2", 1, 0.375), ("t3", 1, 0.25), ("t1", 2, 0.5)]
    assert all(s.discrimination > 0 for s in stats)
    assert analytics.summary(data)["mean"] == 1.5   # (4 + 1 + 1 + 0) / 4


def test_each_known_mistake_is_cached_under_its_own_code(tmp_path):
    """An entry's cache key is the reference's key and its cell and code: a changed hint, name or list
    of failures runs nothing; a changed or new entry runs alone; entries removed from the file are
    dropped; another reference key (the tests changed) runs them all."""
    from grading import demo
    root = demo.make_course(tmp_path / "course", ["01_tensor_basics"])
    entries = {"a": {"cell": "c1", "code": "x = 1", "fails": {"t1"}},
               "b": {"cell": "c2", "code": "y = 2", "fails": {"t2"}},
               "gone": {"cell": "c2", "code": "y = 3", "fails": {"t2"}}}
    sigs = {m: {e["cell"]: {"why": f"wrong values {m}"}} for m, e in entries.items()}
    assert clusters.lookup(root, "A", "ref1", entries) == ({}, entries)
    clusters._keep(root, "A", "ref1", entries, sigs)
    assert clusters.lookup(root, "A", "ref1", entries) == (sigs, {})
    edited = {"renamed a": dict(entries["a"], hint="look at x", fails={"t1", "t3"}),
              "b": dict(entries["b"], code="y = 2  # changed"),
              "new": {"cell": "c3", "code": "z = 3", "fails": {"t3"}}}
    known, todo = clusters.lookup(root, "A", "ref1", edited)
    assert known == {"renamed a": sigs["a"]} and todo == {m: edited[m] for m in ("b", "new")}
    clusters._keep(root, "A", "ref1", edited, {"b": {"c2": {"why": "b again"}}})
    assert len(clusters._cached(root, "A", "ref1")) == 2, "the entries no longer in the file are dropped"
    assert clusters.lookup(root, "A", "ref2", edited) == ({}, edited)
    assert clusters._cached(root, "other", "ref1") == {}
    assert clusters.entry_key("ref1", entries["a"]) != clusters.entry_key("ref2", entries["a"])


def test_make_grade_mistakes_1_asks_the_grading_to_run_the_known_mistakes():
    import subprocess
    import sys
    from grading import __main__ as cli
    assert cli.parser().parse_args(["grade", "01_tensor_basics", "--mistakes"]).mistakes
    assert not cli.parser().parse_args(["grade", "01_tensor_basics"]).mistakes
    shown = subprocess.run(["make", "-n", "-C", str(REPO), f"VENV={sys.prefix}", "READY=", "grade",
                            "A=01_tensor_basics", "MISTAKES=1"], capture_output=True, text=True, timeout=60).stdout
    assert "--mistakes" in shown


def test_dry_run_compares_points_per_test():
    before = _class({"a": {"t1": 1, "t2": 2, "t3": 1}, "b": {"t1": 1, "t2": 0, "t3": 0}})
    after = _class({"a": {"t1": 1, "t2": 2, "t3": 1}, "b": {"t1": 0, "t2": 0, "t3": 0}, "new": {"t1": 1}})
    assert [str(c) for c in dryrun.compare(before, after)] == [
        "b: 1 → 0 (t1 1 → 0)", "new: not graded → 1 (t1 - → 1, t2 - → -, t3 - → -)"]


SOLUTION = '''def pairwise_dots(P, Q):
    out = torch.zeros(len(P), len(Q))
    for i in range(len(P)):
        for j in range(len(Q)):
            out[i, j] = (P[i] * Q[j]).sum()
    return out


def normal_matrix(rows, cols, std, seed):
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(rows, cols, generator=generator)
    return values * std
'''


def test_similarity_sees_through_renamed_variables_not_through_other_code():
    renamed = SOLUTION.replace("out", "result").replace("generator", "g").replace("values", "v")
    other = '''def pairwise_dots(P, Q):
    return torch.einsum("id,jd->ij", P, Q)


def normal_matrix(rows, cols, std, seed):
    return torch.normal(0.0, std, size=(rows, cols), generator=torch.Generator().manual_seed(seed))
'''
    pairs = similarity.similar({"a": SOLUTION, "b": renamed, "c": other})
    assert [(p.a, p.b) for p in pairs] == [("a", "b")]
    assert "<mark>" in pairs[0].shared_a
    assert similarity.similar({"a": SOLUTION, "b": renamed}, base=SOLUTION) == [], "boilerplate is removed"


def test_similarity_is_the_same_in_every_process():
    """copydetect hashes with Python's salted hash(): two processes (two hash seeds) must still find
    the same shares, else a pair near the threshold comes and goes between two reports."""
    import json
    import os
    import subprocess
    import sys
    code = ("import json, sys; from grading import similarity; docs = json.load(sys.stdin); "
            "print(json.dumps([(p.a, p.b, p.shares) for p in similarity.similar(docs, threshold=0.0)]))")
    half = SOLUTION[:len(SOLUTION) // 2]
    docs = {"a": SOLUTION, "b": half + "\n\ndef extra(x):\n    return x * 2 + torch.ones(3).sum()\n", "c": half}
    seen = [subprocess.run([sys.executable, "-c", code], input=json.dumps(docs), capture_output=True, text=True,
                           cwd=REPO, env=dict(os.environ, PYTHONHASHSEED=seed), timeout=120, check=True).stdout
            for seed in ("1", "2")]
    assert json.loads(seen[0]) and seen[0] == seen[1]


def _hidden_numbers(name):
    numbers = set()
    for line in hidden_lines(name):
        numbers |= {n for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", line) if len(n) > 1}
    return numbers


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_hint_holds_a_hidden_line_or_number(name):
    hints = clusters.hints(name)
    secrets, numbers = hidden_lines(name), _hidden_numbers(name)
    for mistake, hint in hints.items():
        assert len(hint) < 300, f"{mistake}: a hint is one or two sentences"
        assert [line for line in secrets if line in hint] == [], mistake
        found = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", hint)) & numbers
        assert not found, f"{mistake}: its hint holds {found}, which the hidden tests hold"
    assert all(isinstance(e.get("hint", ""), str) for e in clusters.spec(name).values())


def test_hints_are_written_for_assignments_1_6_and_8():
    for name in ("01_tensor_basics", "06_gpu_vs_cpu", "08_model_selection"):
        assert set(clusters.hints(name)) == set(clusters.spec(name)), f"{name}: every mistake has a hint"
    assert (REPO / "docs" / "report.png").exists(), "the docs show a screenshot of the report"
