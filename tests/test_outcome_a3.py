"""Assignment 3's training exercises are graded on their outcome (issue 24): the tutorial idiom,
`torch.manual_seed(0)` inside the function and then a loader (or `minibatches`) that shuffles with
torch's global generator, earns full marks on every test of the assignment. Before issue 24, it
trained as well as the solution and scored 0 of exercise 5's 4 points: its weights differed from
the solution's by 0.013 against a tolerance of 1e-4. (Since issue 25 the two exercises are
train_logistic on rare positives and train_multilabel, several labels per example.)

Judged in process as tests/test_alternatives.py judges, and once more by `make grade`'s grader in
sandboxed kernels, with the course's own secret making the hidden sets.
"""
import nbformat
import pytest

from conftest import REPO
from grading import demo, grader, grades, outcome, release
from test_alternatives import load
from test_mistakes import judge

NAME = "03_logistic_regression"
SEEDED = {"train_logistic": "train_logistic: torch.manual_seed(0) first, minibatches of 100 from the global generator",
          "train_multilabel": "train_multilabel: torch.manual_seed(0) first, a loader with no generator of its own"}


def seeded_answers():
    """The solution's answers with both training exercises written in the global-seed idiom."""
    entries = load(NAME)
    assert all(entries[label]["cell"] == cell for cell, label in SEEDED.items())
    return {cell: entries[label]["code"] for cell, label in SEEDED.items()}


def test_the_global_seed_idiom_seeds_the_global_generator():
    for code in seeded_answers().values():
        assert "torch.manual_seed(0)" in code and "generator" not in code.split("torch.manual_seed(0)")[1]


def test_the_global_seed_idiom_passes_every_test_in_process():
    results = judge(NAME, seeded_answers())
    assert results and {k: v for k, v in results.items() if v} == {}


def test_training_is_graded_on_held_out_sets():
    assert (REPO / "source" / NAME / outcome.GENERATOR).exists()
    assert not (REPO / "release" / NAME / outcome.GENERATOR).exists()
    text = (REPO / "source" / NAME / f"{NAME}.ipynb").read_text()
    assert "manual_seed(seed)" not in text and "seed=0" not in text


@pytest.mark.skipif(not grader.sandbox.bwrap_available(), reason="bubblewrap (bwrap) is not installed")
def test_make_grade_gives_the_global_seed_idiom_full_marks(tmp_path):
    root = demo.make_course(tmp_path / "course", [NAME])
    release.generate(root, [NAME], release_dir=str(tmp_path / "regen"))
    for filename, source_nb, release_nb in demo.notebooks(root, NAME):
        answers = dict(demo.solution_cells(source_nb), **seeded_answers())
        target = root / "submitted" / "seeded" / NAME / filename
        target.parent.mkdir(parents=True)
        nbformat.write(demo.fill(release_nb, answers), target)
    status = grader.grade(root, NAME, grader.Settings(workers=1), out=lambda *_: None, progress=False)
    assert status == {"seeded": "graded"}
    assert grades.scores(root, NAME)["seeded"][0] == demo.expected_scores(NAME)["alice"]
    assert (root / outcome.SECRET_FILE).exists()
