"""The instructors' hints in tests/mistakes/ (docs/report.md, "Hints: how to write one"): which
assignments carry them, and that no hint gives away what a student must not read: a held-out set's
number, a line of the solution, or that the graders hold data; and (slow: each mistake is run in
this process) that the hint reaches the student who made its mistake. tests/test_report_units.py
checks the hidden tests' lines and numbers for every assignment; tests/test_report.py that a
student of a graded class gets the hint of their mistake and no other."""
import re

import pytest

from conftest import ASSIGNMENTS, REPO, marked_lines, read, source_notebooks
from grading import cells, clusters, observed

# Every entry of these assignments' mistakes files has a hint.
WITH_HINTS = ("01_tensor_basics", "02_linear_regression", "03_logistic_regression", "04_softmax_regression", "05_spiral_mlp",
              "06_gpu_vs_cpu", "07_training_loop", "08_model_selection", "09_making_training_work")

# Entries of one assignment that share one hint on purpose: mistakes of one kind, or mistakes the
# observations cannot tell apart (the same failures, the same way), where a student gets no hint
# at all unless the entries agree on one (grading/clusters.py hints_for); the shared hint then
# names the places each of them is found. {assignment: [{mistake, ...}, ...]}
SHARED = {
    "01_tensor_basics": [{"in-place assumed always impossible", "in-place error built by hand instead of the raised one"}],
    "07_training_loop": [
        {"the tutorial's loss / accumulate: a short last group steps too little",
         "the batches of a group weighted equally (a short batch counts as a full one)",
         "groups run on across epochs (the batch counter never reset)"},
        {"early stopping: state_dict kept without a copy", "early stopping: the best parameters never put back"},
    ],
    "06_gpu_vs_cpu": [
        {"no warm-up", "one warm-up call too few"},
        {"no synchronize", "synchronised after the clock stops"},
        {"batch: rounded down", "batch: the weights' bytes ignored (intensity taken as 2km / (s(k + m)))"},
    ],
    "04_softmax_regression": [
        {"naive softmax: exp overflows", "subtracts the global max, not each slice's"},
        {"training: forgets optimizer.step()",
         "training: mean squared error on one-hot labels (diverges at these rates)",
         "training: the schedule's total forgets the epochs (the rate turns negative after one)"},
    ],
    "05_spiral_mlp": [{"optimizer.step() before loss.backward()", "forgot optimizer.step()"}],
    "03_logistic_regression": [
        {"naive log-sigmoid log(1/(1+exp(-z))): -inf at z = -1000", "-log(1 + exp(-z)) in one branch: overflows at z = -1000",
         "log of lesson 3's stable sigmoid: -inf once σ(z) rounds to 0"},
        {"log(0) not clipped", "clipped with an eps lost in float32 (1 - 1e-12 == 1)"},
        {"train_logistic: torch.optim.SGD does the update", "train_logistic with the library's sigmoid and loss"},
    ],
    "09_making_training_work": [
        {"momentum: the velocity is an average, (1 - momentum) · g (dampening)",
         "momentum: no velocity kept between steps (plain SGD)"},
        {"repair: the all-zero initialisation kept", "repair: a constant initialisation instead of zeros (still symmetric)",
         "repair: lr=3.0 kept (the loss ends in NaN)", "repair: zero_grad still missing",
         "repair: a rate far too timid, lr=0.01"},
    ],
}

NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")   # as tests/test_report_units.py reads them
# what a hint must not say beyond what the student's copy says: that the graders run tests or hold
# data the student does not see
GRADERS_DATA = re.compile(r"\bhidden (test|set|data|input|case|spiral|curve|label|image|point|row)s?\b"
                          r"|\bsecret\b|\bgraders?\b|\bheldout\b", re.I)
# one or two sentences: a sentence ends with . ? or ! before the end or before a capital letter
SENTENCE_END = re.compile(r"[.?!](?=\s+[A-Z]|\s*$)")


def _test_order(name):
    """The graded test cells' grade ids, in notebook order."""
    return [cells.grade_id(c) for path in source_notebooks(name) for c in cells.test_cells(read(path))]


def _shown(name):
    """The text of the student's copy (release/), every cell."""
    return "\n".join(c.source for path in sorted((REPO / "release" / name).glob("*.ipynb")) for c in read(path).cells)


def _solution_lines(name):
    """The lines of the instructor's solution (the BEGIN SOLUTION regions of the answer cells) that
    the student's copy does not show anyway (the text names `optimizer.step()`, for one)."""
    shown = _shown(name)
    answers = [c for path in source_notebooks(name) for c in read(path).cells if cells.is_answer(c)]
    return [line for line in marked_lines(answers, "BEGIN SOLUTION", "END SOLUTION") if line not in shown]


def _heldout_numbers(name):
    """The numbers written in source/<name>/heldout.py, which makes the graders' held-out sets."""
    path = REPO / "source" / name / "heldout.py"
    return {n for n in NUMBER.findall(path.read_text(encoding="utf-8")) if len(n) > 1} if path.exists() else set()


def test_every_mistake_of_these_assignments_has_a_hint():
    for name in WITH_HINTS:
        assert name in ASSIGNMENTS, f"{name} is not an assignment of the course"
        missing = sorted(set(clusters.spec(name)) - set(clusters.hints(name)))
        assert missing == [], f"{name}: mistakes without a hint: {missing}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_all_or_none(name):
    """An assignment's mistakes either carry no hint yet or every one of them does: a student whose
    mistake has no hint, beside classmates whose mistakes have, is a hint forgotten."""
    hinted, entries = set(clusters.hints(name)), set(clusters.spec(name))
    assert not hinted or hinted == entries, f"{name}: mistakes without a hint: {sorted(entries - hinted)}"
    assert all(isinstance(e.get("hint", ""), str) for e in clusters.spec(name).values())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_hint_gives_away_the_answer_or_the_held_out_data(name):
    hints = clusters.hints(name)
    solution, numbers, shown = _solution_lines(name), _heldout_numbers(name), _shown(name).lower()
    for mistake, hint in hints.items():
        assert [line for line in solution if line in hint] == [], f"{mistake}: its hint holds a line of the solution"
        found = set(NUMBER.findall(hint)) & numbers
        assert not found, f"{mistake}: its hint holds {found}, which source/{name}/heldout.py holds"
        said = [m[0] for m in GRADERS_DATA.finditer(hint) if m[0].lower() not in shown]
        assert said == [], f"{mistake}: a hint is about the student's code, not the graders' data ({said})"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_a_hint_is_one_or_two_sentences(name):
    for mistake, hint in clusters.hints(name).items():
        assert hint.endswith((".", "?")), f"{mistake}: a hint ends its sentence"
        assert 1 <= len(SENTENCE_END.findall(hint)) <= 2, f"{mistake}: a hint is one or two short sentences: {hint}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_hints_under_the_same_first_failing_test_differ(name):
    """The hint a student reads under a test tells their mistake from the others that fail there:
    entries share one only where SHARED says so, and then each of them has that one."""
    order, entries, hints = _test_order(name), clusters.spec(name), clusters.hints(name)
    groups = SHARED.get(name, [])
    for group in groups:
        assert group <= set(entries), f"SHARED names mistakes {name} does not list: {sorted(group - set(entries))}"
        assert len({hints.get(m) for m in group}) == 1, f"{name}: the mistakes of a SHARED group share one hint"
    seen = {}
    for mistake, hint in hints.items():
        listed = [t for t in order if t in entries[mistake]["fails"]]
        assert listed, f"{mistake}: fails no test of the notebook"
        other = seen.setdefault((listed[0], hint), mistake)
        if other != mistake:
            assert any({other, mistake} <= group for group in groups), \
                f"{other!r} and {mistake!r} give the same hint under {listed[0]}: {hint}"


def _signatures(name):
    """{mistake: {test: signature}} of every known mistake of `name`, run in this process
    (tests/inprocess.py) and read as grading/clusters.py reads a class's failures."""
    import specs
    from inprocess import execute, reference
    spec = specs.load_spec(name)
    paths = source_notebooks(name)
    refs = {path: reference(read(path), cwd=path.parent) for path in paths}
    found = {}
    for mistake in spec["MISTAKES"]:
        answers = specs.mistake_answers(spec, mistake)
        found[mistake] = {}
        for path in paths:
            for test, cell in execute(read(path), answers, cwd=path.parent).items():
                signature = observed.signature(refs[path].get(test, []), cell)
                if signature is not None:
                    found[mistake][test] = signature
    return found


# The assignments whose hints each reach their student.
DELIVERED = ("01_tensor_basics", "02_linear_regression", "03_logistic_regression", "04_softmax_regression", "05_spiral_mlp",
             "06_gpu_vs_cpu", "07_training_loop", "08_model_selection", "09_making_training_work")


@pytest.mark.slow
@pytest.mark.parametrize("name", DELIVERED)
def test_each_hint_reaches_the_student_who_made_its_mistake(name):
    """A student whose failures are exactly those of a known mistake reads that mistake's hint, and
    no other: unless the mistake shows only in outcome tests (no hint, by design). A hint that two
    mistakes the observations cannot tell apart disagree on is never given (SHARED)."""
    known, entries = _signatures(name), clusters.spec(name)
    order, checks = _test_order(name), clusters.checks_of(REPO, name)
    for mistake, hint in clusters.hints(name).items():
        listed = set(entries[mistake]["fails"]) & set(known[mistake])
        if all(known[mistake][t].get("why") == "outcome" for t in listed):
            continue
        given = clusters.hints_for(known[mistake], known, entries, order, checks)
        assert [h for hs in given.values() for h in hs] == [hint], f"{mistake}: the hints given are {given}"
