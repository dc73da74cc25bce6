"""grading/verdict.py: the comparison that decides every autograded test."""
import math

import nbformat
import numpy as np
import torch

from grading import verdict
from grading.status import Status, combine, error, limit
from helpers import checks


def record(fn, name, value, atol=1e-6, rtol=1e-5):
    return {"fn": fn, "name": name, "value": checks.encode(value), "atol": atol, "rtol": rtol}


def cell(*records, error=None):
    outputs = [nbformat.v4.new_output("display_data", data={checks.OBSERVATION_MIME: r}) for r in records]
    if error:
        outputs.append(nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[]))
    return nbformat.v4.new_code_cell(outputs=outputs)


REF = [record("assert_close", "loss", torch.tensor([1.0, 2.0])), record("observe", "loss, hidden case 0", 3.5)]


def test_matching_observations_pass_within_the_reference_tolerance():
    got = cell(record("assert_close", "x", torch.tensor([1.0, 2.0 + 1e-6])), record("observe", "y", 3.5))
    assert verdict.judge(REF, got) == verdict.Verdict(True)


def test_numbers_and_zero_d_tensors_are_interchangeable_and_dtype_is_ignored():
    ref = [record("observe", "v", torch.tensor(3.5))]
    assert verdict.judge(ref, cell(record("observe", "v", 3.5))).passed
    assert verdict.judge(ref, cell(record("observe", "v", torch.tensor(3.5, dtype=torch.float64)))).passed
    assert verdict.judge(ref, cell(record("observe", "v", np.float64(3.5)))).passed


def test_visible_failures_say_what_was_expected_hidden_ones_do_not():
    wrong_visible = cell(record("assert_close", "x", torch.tensor([1.0, 2.5])), record("observe", "y", 3.5))
    message = verdict.judge(REF, wrong_visible).message
    assert "loss" in message and "got 2.5" in message and "expected 2" in message
    wrong_hidden = cell(REF[0], record("observe", "y", 4.25))
    message = verdict.judge(REF, wrong_hidden).message
    assert message == "a hidden check failed: loss, hidden case 0 (wrong values)"
    assert "4.25" not in message and "3.5" not in message


def test_the_submissions_tolerance_and_names_are_ignored():
    forged = cell(REF[0], dict(record("observe", "y", 100.0), atol=1e9, rtol=1e9, fn="assert_close"))
    assert not verdict.judge(REF, forged).passed


def test_missing_extra_and_unreadable_observations_fail():
    assert "stopped before" in verdict.judge(REF, cell(REF[0])).message
    assert not verdict.judge(REF, cell(REF[0], REF[1], REF[1])).passed
    assert not verdict.judge(REF, cell(REF[0], {"fn": "observe", "value": {"kind": "array", "shape": [], "values": ["x"]}})).passed
    assert not verdict.judge(REF, cell(REF[0], "not a dict")).passed
    assert not verdict.judge(REF, cell()).passed


def test_an_error_fails_even_when_every_observation_matched():
    assert not verdict.judge(REF, cell(*REF, error=("ValueError", "late"))).passed


def test_an_error_in_the_hidden_region_shows_only_its_type():
    got = cell(REF[0], error=("RuntimeError", "mat1 and mat2 shapes cannot be multiplied (7x3 and 4x1)"))
    assert verdict.judge(REF, got).message == "a hidden check failed: your code raised RuntimeError"
    visible = verdict.judge(REF, cell(error=("AssertionError", "loss should have shape (2,)")))
    assert visible.message == "AssertionError: loss should have shape (2,)"
    grader = verdict.judge(REF, cell(REF[0], error=("NotRun", "not run: timeout: a cell ran longer than 60 s")))
    assert "timeout" in grader.message


def test_a_failed_property_check_shows_its_message():
    ref = [record("check", "do not change the x you were given", True), REF[1]]
    got = cell(record("check", "x changed: got requires_grad=True", False), REF[1])
    assert verdict.judge(ref, got).message == "x changed: got requires_grad=True"   # the student's values
    assert verdict.judge(ref, cell(record("check", "", False), REF[1])).message == "do not change the x you were given"


def test_shapes_must_match_exactly():
    ref = [record("observe", "v", torch.zeros(3, 1))]
    assert verdict.judge(ref, cell(record("observe", "v", torch.zeros(3)))).message.endswith("(wrong shape)")


def test_non_finite_values_never_match_a_finite_reference():
    ref = [record("observe", "v", torch.tensor([1.0, 2.0]))]
    for bad in (math.nan, math.inf):
        assert not verdict.judge(ref, cell(record("observe", "v", torch.tensor([1.0, bad])))).passed
    inf_ref = [record("observe", "v", torch.tensor([math.inf]))]
    assert verdict.judge(inf_ref, cell(record("observe", "v", torch.tensor([math.inf])))).passed


def test_exceptions_compare_type_and_whether_raised():
    try:
        torch.zeros(1, 3).sub_(torch.zeros(2, 1))
    except RuntimeError as err:
        raised = err
    ref = [record("observe", "inplace", raised)]
    assert verdict.judge(ref, cell(record("observe", "inplace", raised))).passed
    assert not verdict.judge(ref, cell(record("observe", "inplace", RuntimeError("built by hand")))).passed
    assert not verdict.judge(ref, cell(record("observe", "inplace", ValueError("x")))).passed


def test_tensor_metadata_compares_what_was_asked():
    ref = [{"fn": "assert_tensor", "name": "w", "value": {"kind": "meta", "type": "Tensor", "dtype": "torch.float32"},
            "atol": 0, "rtol": 0}]
    got = {"kind": "meta", "type": "Tensor", "dtype": "torch.float64"}
    assert "dtype" in verdict.judge(ref, cell(dict(ref[0], value=got))).message


def test_observations_are_stripped_from_the_stored_cell():
    c = cell(*REF)
    c.outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text="hi\n"))
    verdict.strip_observations(c)
    assert [o.output_type for o in c.outputs] == ["stream"]


def test_encode_caps_the_size_of_an_observation():
    import pytest
    with pytest.raises(ValueError, match="at most"):
        checks.encode(torch.zeros(checks.MAX_VALUES + 1))
    assert checks.encode(torch.tensor([math.nan]))["values"] == ["nan"]


def test_status_round_trips_and_combines():
    assert str(Status.parse("timeout: a cell ran longer than 60 s")) == "timeout: a cell ran longer than 60 s"
    assert Status.parse("graded").kind == "graded" and not Status.parse("graded").broken
    assert Status.parse("no submission").broken
    assert str(combine({"a": error("missing notebook a.ipynb"), "b": limit("used all 512 MB")})) == \
        "error: missing notebook a.ipynb; limit: used all 512 MB"
    assert str(combine({})) == "graded"


def test_the_points_follow_from_the_verdict():
    assert verdict.Verdict(True).points(3) == 3
    assert verdict.Verdict(False, "x").points(3) == 0
    assert verdict.Verdict(False, "x", partial=0.35).points(2) == 0.7
    assert verdict.Verdict(False, "x", partial=1 / 3).points(2) == 0.67   # to the hundredth, as nbgrader shows
