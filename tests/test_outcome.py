"""Outcome tests (grading/outcome.py): predictions scored in the grading process against held-out
targets that no kernel, file or seed the sandbox reaches holds; and no observation is dropped in
silence (an observation cut by the output cap fails the test, or stops the reference run)."""
import os
import runpy

import nbformat
import pytest
import torch

from conftest import REPO, read
from grading import course, grader, outcome, reference, verdict
from helpers import checks

A5 = REPO / "source" / "05_spiral_mlp"


def spiral_ref(targets, full=0.95, zero=0.85):
    return {"fn": "outcome", "name": "spiral", "value": None, "metric": "accuracy",
            "full_marks": full, "no_marks": zero, "targets": targets}


def predictions(*sets):
    return {"fn": "outcome", "name": "spiral", "value": checks.encode([torch.tensor(s) for s in sets])}


def cell(*records, error=None):
    outputs = [nbformat.v4.new_output("display_data", data={checks.OBSERVATION_MIME: r}) for r in records]
    if error:
        outputs.append(nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[]))
    return nbformat.v4.new_code_cell(outputs=outputs)


def test_credit_is_banded_linearly_and_the_worst_set_decides():
    assert outcome.credit("accuracy", 0.97, 0.95, 0.85) == 1.0
    assert outcome.credit("accuracy", 0.90, 0.95, 0.85) == pytest.approx(0.5)
    assert outcome.credit("accuracy", 0.80, 0.95, 0.85) == 0.0
    assert outcome.credit("mse", 0.05, 0.1, 0.3) == 1.0
    assert outcome.credit("mse", 0.2, 0.1, 0.3) == pytest.approx(0.5)
    targets = [[0.0] * 10, [1.0] * 10]
    share, why = outcome.score(spiral_ref(targets), predictions([0] * 10, [1] * 9 + [0]))
    assert share == pytest.approx(0.5)
    assert "accuracy 0.900 on hidden set 2 of 2" in why and "0.95" in why and "0.85" in why


def test_over_mean_averages_the_sets_and_a_submission_cannot_choose_it():
    targets = [[0.0] * 10, [1.0] * 10]
    ref = dict(spiral_ref(targets, full=0.9, zero=0.7), over="mean")
    share, why = outcome.score(ref, predictions([0] * 10, [1] * 8 + [0] * 2))   # 1.0 and 0.8: mean 0.9
    assert share == 1.0 and why == ""
    share, why = outcome.score(ref, predictions([0] * 9 + [1], [1] * 7 + [0] * 3))   # 0.9 and 0.7: mean 0.8
    assert share == pytest.approx(0.5)
    assert "accuracy 0.800 on average over 2 hidden sets" in why and "on average" in why
    worst = dict(spiral_ref(targets, full=0.9, zero=0.7))   # the same answer, judged by its worst set
    assert outcome.score(worst, predictions([0] * 10, [1] * 8 + [0] * 2))[0] == pytest.approx(0.5)
    forged = dict(predictions([0] * 10, [1] * 8 + [0] * 2), over="mean")   # the reference decides
    assert verdict.judge([worst], cell(forged)).fraction == pytest.approx(0.5)
    with pytest.raises(ValueError):
        checks.outcome("spiral", [], full_marks=0.9, no_marks=0.7, over="best")


def test_a_failing_outcome_says_the_metric_and_thresholds_never_the_targets():
    targets = [[float(i % 4) for i in range(40)]]
    ref = [spiral_ref(targets)]
    wrong = [0] * 40
    result = verdict.judge(ref, cell(predictions(wrong)))
    assert not result.passed and result.fraction == 0.0
    assert "accuracy 0.250" in result.message and "0.95" in result.message
    assert "1, 2, 3" not in result.message and "[" not in result.message
    right = [i % 4 for i in range(40)]
    assert verdict.judge(ref, cell(predictions(right))) == verdict.Verdict(True)


def test_the_submissions_thresholds_metric_and_targets_are_ignored():
    ref = [spiral_ref([[1.0] * 20])]
    forged = dict(predictions([0] * 20), metric="mse", full_marks=-1.0, no_marks=-2.0, targets=[[0.0] * 20])
    assert verdict.judge(ref, cell(forged)).fraction == 0.0


def test_wrong_sizes_missing_sets_and_nan_earn_nothing():
    ref = [spiral_ref([[1.0] * 5, [1.0] * 5])]
    assert verdict.judge(ref, cell(predictions([1] * 5))).fraction == 0.0
    assert verdict.judge(ref, cell(predictions([1] * 5, [1] * 4))).fraction == 0.0
    assert verdict.judge(ref, cell(predictions([1] * 5, [float("nan")] * 5))).fraction == 0.0
    assert verdict.judge(ref, cell()).fraction == 0.0
    assert verdict.judge(ref, cell(predictions([1] * 5, [1] * 5), error=("ValueError", "x"))).fraction == 0.0


def test_partial_credit_reaches_the_gradebook_score():
    ref = [spiral_ref([[1.0] * 100])]
    result = verdict.judge(ref, cell(predictions([1] * 92 + [0] * 8)))
    assert not result.passed and result.fraction == pytest.approx(0.7)
    assert round(2 * result.fraction, 2) == 1.4   # grader.record: max_score × fraction


def test_the_sets_follow_the_secret_and_only_the_grading_process_makes_them():
    one, same, other = (outcome.generate(A5, A5.name, s) for s in ("secret a", "secret a", "secret b"))
    assert len(one.targets["spiral"]) == 3
    assert torch.equal(one.inputs["spiral"][0]["X_test"], same.inputs["spiral"][0]["X_test"])
    assert not torch.equal(one.inputs["spiral"][0]["X_test"], other.inputs["spiral"][0]["X_test"])
    assert one.fingerprint == same.fingerprint != other.fingerprint
    assert reference.key(REPO, A5.name, one.fingerprint) != reference.key(REPO, A5.name, other.fingerprint)


def test_the_course_secret_is_made_once_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(outcome.SECRET_ENV, raising=False)
    first = outcome.course_secret(tmp_path)
    assert len(first) == 64 and outcome.course_secret(tmp_path) == first
    assert (tmp_path / outcome.SECRET_FILE).stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [outcome.SECRET_FILE]
    monkeypatch.setenv(outcome.SECRET_ENV, "from the environment")
    assert outcome.course_secret(tmp_path) == "from the environment"


def test_a_kernel_gets_the_inputs_never_the_generator_nor_the_targets(tmp_path):
    held = outcome.generate(A5, A5.name, "a secret")
    files = {**grader.input_files(A5), **held.files()}
    assert outcome.GENERATOR not in {os.path.basename(p) for p in files}
    assert set(files) == {"heldout/spiral.pt"}
    held.write(tmp_path)
    saved = checks.HELDOUT_DIR
    checks.HELDOUT_DIR = str(tmp_path / "heldout")
    try:
        sets = checks.heldout("spiral")
    finally:
        checks.HELDOUT_DIR = saved
    assert [sorted(s) for s in sets] == [["X", "X_test", "y"]] * 3
    data = files["heldout/spiral.pt"]
    for given, targets in zip(sets, held.targets["spiral"]):   # the held-out classes appear nowhere
        assert len(given["X_test"]) == len(targets)
        assert all(v.flatten().tolist() != targets for v in given.values())
        assert torch.tensor(targets, dtype=torch.int64).numpy().tobytes() not in data
    assert checks.heldout("spiral") == []   # outside grading: no sets


def test_the_generator_is_never_released():
    assert (A5 / outcome.GENERATOR).exists()
    assert not (REPO / "release" / A5.name / outcome.GENERATOR).exists()


def test_a_solution_below_its_own_threshold_or_an_unknown_outcome_stops_the_reference():
    held = outcome.HeldOut(targets={"spiral": [[1.0] * 10]})
    low = {"nb": {"test_fit": [dict(predictions([1] * 9 + [0]), metric="accuracy", full_marks=0.95, no_marks=0.85)]}}
    assert "does not clear its own outcome test test_fit" in outcome.problems(low, held)[0]
    unknown = {"nb": {"test_fit": [dict(low["nb"]["test_fit"][0], name="moons")]}}
    assert "does not define" in outcome.problems(unknown, held)[0]
    good = {"nb": {"test_fit": [dict(predictions([1] * 10), metric="accuracy", full_marks=0.95, no_marks=0.85)]}}
    assert outcome.problems(good, held) == []
    assert outcome.attach(good, held)["nb"]["test_fit"][0]["targets"] == [[1.0] * 10]
    assert "targets" not in good["nb"]["test_fit"][0]   # the cached reference never holds them


def test_outcome_refuses_thresholds_that_cannot_be_read():
    with pytest.raises(ValueError):
        checks.outcome("spiral", [], metric="accuracy", full_marks=0.85, no_marks=0.95)
    with pytest.raises(ValueError):
        checks.outcome("spiral", [], metric="f1", full_marks=0.9, no_marks=0.8)


def test_the_a5_test_cell_names_its_metric_and_threshold():
    nb = read(A5 / "05_spiral_mlp.ipynb")
    source = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_fit")
    assert 'outcome("spiral", predictions, metric="accuracy", full_marks=0.95, no_marks=0.85)' in source


# No observation dropped in silence (issue 24, item 5): a kernel's test cell whose output passes
# the grader's cap ends with an OutputCapped error; that fails a submission's test and stops a
# reference run, whose observations would otherwise be judged with a part missing.

OVERSIZED = ("from helpers.checks import observe\n"
             "for case in range(4):\n"
             "    observe([float(i) + 0.123456789 for i in range(15000)], f'a large tensor, case {case}')")


def _oversized_notebook():
    test = nbformat.v4.new_code_cell(OVERSIZED, metadata={"nbgrader": {
        "grade": True, "grade_id": "test_big", "locked": True, "points": 1, "schema_version": 3,
        "solution": False, "task": False}})
    return nbformat.v4.new_notebook(cells=[test])


@pytest.fixture(scope="module")
def capped_run(tmp_path_factory):
    """The oversized notebook run by a real kernel under the grader's output cap (no sandbox: what
    is checked is the cap, which applies the same in both modes)."""
    settings = grader.Settings(sandbox=False, preimport=False, max_output_bytes=100_000, cell_timeout=60)
    run_dir = tmp_path_factory.mktemp("capped")
    done, problems = grader.run_reference(str(REPO), {"big": dict(_oversized_notebook())}, {}, settings, str(run_dir))
    return done["big"], problems


def test_an_oversized_observation_fails_the_submissions_test(capped_run):
    nb, _ = capped_run
    (test,) = nb.cells
    assert [o.get("ename") for o in test.outputs if o.get("output_type") == "error"] == ["OutputCapped"]
    ref = {"test_big": [{"fn": "observe", "name": f"a large tensor, case {k}",
                         "value": checks.encode([float(i) + 0.123456789 for i in range(15000)]),
                         "atol": 1e-6, "rtol": 1e-5} for k in range(4)]}
    verdicts = grader.apply_verdicts(nbformat.from_dict(nb), ref)
    assert not verdicts["test_big"].passed and verdicts["test_big"].fraction == 0
    assert "OutputCapped" in verdicts["test_big"].message


def test_an_oversized_reference_observation_stops_the_run_for_the_instructor(capped_run, tmp_path):
    nb, problems = capped_run
    stopped = []
    with pytest.raises(course.GradingError, match="OutputCapped"):
        reference.accept(tmp_path, "big", "key", {"big": nb}, problems, lambda: stopped.append(1))
    assert stopped == [1]


# Instructions that exist only to make random streams match (issue 24): gone from every assignment
# whose training exercises are graded on their outcome. The others join this list as they are converted.
OUTCOME_GRADED = ["02_linear_regression", "03_logistic_regression", "04_softmax_regression", "05_spiral_mlp",
                  "07_training_loop", "08_model_selection", "09_making_training_work"]
FORBIDDEN = ("exactly this way", "exactly in this way", "compare your trained", "train exactly",
             "compare your trained model", "torch seeded first")


def test_the_a7_test_cell_names_its_metric_and_threshold_and_iris_stays_in_the_grader():
    a7 = REPO / "source" / "07_training_loop"
    nb = read(a7 / "07_training_loop.ipynb")
    source = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_iris_accuracy")
    assert 'outcome("iris", predictions, metric="accuracy", full_marks=0.93, no_marks=0.85, over="mean")' in source
    held = outcome.generate(a7, a7.name, "a secret")
    assert len(held.targets["iris"]) == 10
    for given, targets in zip(held.inputs["iris"], held.targets["iris"]):
        assert sorted(given) == ["X", "X_test", "y"] and len(given["X_test"]) == len(targets) == 60
        assert targets.count(0.0) == targets.count(1.0) == targets.count(2.0) == 20   # stratified
    assert not (REPO / "release" / a7.name / outcome.GENERATOR).exists()


@pytest.mark.parametrize("name", OUTCOME_GRADED)
def test_no_instruction_prescribes_a_random_stream_for_grading(name):
    for path in (REPO / "source" / name).glob("*.ipynb"):
        text = " ".join(c.source.lower() for c in read(path).cells if c.cell_type == "markdown")
        text = " ".join(text.split())
        assert [p for p in FORBIDDEN if p in text] == [], f"{path.name} prescribes a random stream"
        assert (REPO / "source" / name / outcome.GENERATOR).exists(), f"{name} has no held-out sets"


@pytest.mark.skipif(not grader.sandbox.bwrap_available(), reason="bubblewrap (bwrap) is not installed")
def test_make_grade_writes_a_share_of_the_points_into_the_gradebook(tmp_path, gradebook):
    """A5 graded end to end in sandboxes: a predict that gets every tenth point wrong on purpose
    reaches 0.9 × the solution's accuracy (0.97-1.0), so 0.873-0.9 on every hidden spiral, between
    none (0.85) and full marks (0.95), whatever the secret and the random stream, and keeps that
    share of test_fit's 2 points; the course's own secret made the sets, and no kernel folder held
    them. (Dropout left on in predict earns 0-42 %: too variable to pin a band on.)"""
    from grading import demo, grades
    name = A5.name
    root = demo.make_course(tmp_path / "course", [name], gradebook)
    for filename, source_nb, release_nb in demo.notebooks(root, name):
        answers = demo.solution_cells(source_nb)
        tenth_wrong = answers["fit"].replace(
            "        return model(X).argmax(dim=1)",
            "        predicted = model(X).argmax(dim=1)\n"
            "        predicted[::10] = (predicted[::10] + 1) % (int(predicted.max()) + 1)   # a wrong class\n"
            "        return predicted")
        assert tenth_wrong != answers["fit"]
        partial = dict(answers, fit=tenth_wrong)
        for student, chosen in (("full", answers), ("partial", partial)):
            target = root / "submitted" / student / name / filename
            target.parent.mkdir(parents=True)
            nbformat.write(demo.fill(release_nb, chosen), target)
    status = grader.grade(root, name, grader.Settings(workers=2), out=lambda *_: None, progress=False)
    assert status == {"full": "graded", "partial": "graded"}
    scores = grades.scores(root, name)
    full = demo.expected_scores(name)["alice"]
    assert scores["full"][0] == full
    assert full - 2 < scores["partial"][0] < full
    assert (root / outcome.SECRET_FILE).exists()


def test_a_borrowed_generator_makes_the_same_kind_of_sets_from_its_own_seeds():
    """Assignment 9 borrows assignment 5's spirals (outcome.borrow): the same generator, set for set,
    drawn from assignment 9's own seeds."""
    a9 = REPO / "source" / "09_making_training_work"
    borrowed, own = outcome.generate(a9, a9.name, "a secret"), outcome.generate(A5, A5.name, "a secret")
    assert set(borrowed.inputs) == set(own.inputs) == {"spiral"}
    code = runpy.run_path(str(A5 / outcome.GENERATOR))
    for k in range(code["SETS"]):
        inputs, targets = code["spiral"](outcome.seed("a secret", a9.name, "spiral", k), k)
        assert torch.equal(borrowed.inputs["spiral"][k]["X_test"], inputs["X_test"])
        assert borrowed.targets["spiral"][k] == [float(v) for v in targets.tolist()]
    assert not torch.equal(borrowed.inputs["spiral"][0]["X_test"], own.inputs["spiral"][0]["X_test"])


def test_the_fingerprint_follows_the_sets_not_the_file_text(tmp_path):
    """A change in what a generator borrows (another file, a helper) changes the sets' fingerprint,
    and so the reference's cache key, though the borrowing file's text stayed the same."""
    for name, body in (("05_spiral_mlp", (A5 / outcome.GENERATOR).read_text()),
                       ("09_copy", 'from grading import outcome\n'
                                   'globals().update(outcome.borrow(__file__, "05_spiral_mlp"))\n')):
        (tmp_path / name).mkdir()
        (tmp_path / name / outcome.GENERATOR).write_text(body)
    before = outcome.generate(tmp_path / "09_copy", "09_copy", "a secret")
    assert before.fingerprint == outcome.generate(tmp_path / "09_copy", "09_copy", "a secret").fingerprint
    lender = tmp_path / "05_spiral_mlp" / outcome.GENERATOR
    lender.write_text(lender.read_text().replace("make_spiral(500,", "make_spiral(400,"))
    after = outcome.generate(tmp_path / "09_copy", "09_copy", "a secret")
    assert len(after.targets["spiral"][0]) < len(before.targets["spiral"][0])
    assert after.fingerprint != before.fingerprint
