"""What the instructor sees after grading (docs/report.md), on a class built to contain known things.

The class of assignment 1: the demo students (alice: the solution, bob: the untouched release,
carol: the demo's wrong answer, dave: a notebook that is not JSON), plus students made from known
mistakes of tests/mistakes/ (each mistake given to two or three students), two students whose
every answer comes from tests/alternatives/ (correct, written independently of the solution),
and eve, alice's answers with the variables renamed. One of them is late, past an extension.
It is graded once by `make grade`'s grader; then the report's pass rates and clusters, the
feedback's hints, the similar pairs and a dry run of a changed hidden test are checked exactly
against what the class was built to contain.
"""
import hashlib
import html
import re
import runpy
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from grading import analytics, clusters, demo, dryrun, feedback, grader, html_report, late, similarity
from test_grading_e2e import hidden_lines
import specs

NAME = "01_tensor_basics"
MISTAKES = {   # mistake -> the students made from it (carol is the demo's)
    "sign flipped: N - M": ["sign1", "sign2", "sign3"],
    "rows and columns swapped": ["swap1", "swap2"],
    "broadcast: a list instead of a tuple": ["list1", "list2"],
    "in-place on M itself (forgot the copy)": ["inplace1", "inplace2"],
    "forgot to zero the gradient": ["carol", "zero1"],
}
CORRECT = ["alice", "alt0", "alt1", "eve"]
LATE = ("sign2", "2026-03-02 05:00:00.000000 UTC", 2)   # 5 h after the due date, 2 h of extension
DUE = "2026-03-02 00:00:00 UTC"
RENAMED = {"difference": "diff", "via_function": "by_function", "inplace": "in_place", "err": "e",
           "full": "whole", "cube": "cubed", "partial": "part", "out": "result"}


def spec():
    return specs.load_spec(NAME)["MISTAKES"]


def write_class(root):
    demo.write_class(root, NAME)
    alternatives = runpy.run_path(str(REPO / "tests" / "alternatives" / f"{NAME}.py"))["ALTERNATIVES"]
    by_cell = {}
    for entry in alternatives.values():
        by_cell.setdefault(entry["cell"], []).append(entry["code"])
    for filename, source_nb, release_nb in demo.notebooks(root, NAME):
        answers = demo.solution_cells(source_nb)
        students = {s: dict(answers, **specs.mistake_answers(specs.load_spec(NAME), m))
                    for m, names in MISTAKES.items() for s in names if s != "carol"}
        for k in (0, 1):
            students[f"alt{k}"] = dict(answers, **{c: codes[k % len(codes)] for c, codes in by_cell.items()})
        renamed = {}
        for cell, code in answers.items():
            for old, new in RENAMED.items():
                code = re.sub(rf"\b{old}\b", new, code)
            renamed[cell] = code
        students["eve"] = renamed
        for student, cells in students.items():
            target = root / "submitted" / student / NAME / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(demo.fill(release_nb, cells), target)
    (root / "submitted" / LATE[0] / NAME / late.TIMESTAMP).write_text(LATE[1] + "\n")


def expected_failures():
    """{student: the tests they were built to fail}."""
    tests = [t for _, t in analytics.test_order(REPO, NAME)]
    out = {s: set() for s in CORRECT}
    out["bob"] = out["dave"] = set(tests)
    for mistake, students in MISTAKES.items():
        for s in students:
            out[s] = set(spec()[mistake]["fails"])
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded, with a due date and an extension; feedback generated."""
    root = demo.make_course(tmp_path_factory.mktemp("report") / "course", [NAME])
    write_class(root)
    late.set_due_date(root, NAME, DUE)
    late.set_extension(root, NAME, LATE[0], days=LATE[2] / 24)   # make extend, as an instructor gives one
    grader.grade(root, NAME, _settings(mistakes=True), out=lambda *_: None, progress=False)
    with pytest.MonkeyPatch.context() as patch:   # grading ran the known mistakes: the feedback runs none
        patch.setattr(clusters, "_run", _no_run)
        feedback.generate(root, NAME, hints=True)
    return root


def _settings(**given):
    from grading import sandbox
    return grader.Settings(workers=2, sandbox=sandbox.bwrap_available(), **given)


def _no_run(*args):
    raise AssertionError("a known mistake was run again")


def test_pass_rates_are_what_the_class_was_built_with(graded):
    data = analytics.load(graded, NAME)
    fails = expected_failures()
    assert set(data.students) == set(fails)
    stats = analytics.per_test(data)
    got = {s.test: (s.passed, s.students) for s in stats}
    want = {t: (sum(1 for f in fails.values() if t not in f), len(fails)) for t in data.tests}
    assert got == want
    rates = [s.pass_rate for s in stats]
    assert rates == sorted(rates), "the most failed tests come first"
    assert analytics.statuses(data) == {"error": 1, "graded": len(fails) - 1}
    # 5 h late, 2 h of it excused by the extension
    assert {s: round(v / 3600, 3) for s, v in data.late.items() if v > 0} == {LATE[0]: 3.0}
    assert {s for s, v in data.extension.items() if v} == {LATE[0]}
    assert all(data.seconds[s] > 0 for s in data.students if s != "dave")


def test_clusters_are_the_mistakes_the_class_was_built_with(graded):
    data = analytics.load(graded, NAME)
    known = clusters.mistake_signatures(graded, NAME, _settings(), out=lambda *_: None)
    groups = clusters.cluster(data.failures, data.tests, known)
    got = {}
    for group in groups:
        got.setdefault(group.test, set()).add(frozenset(group.students))
    want = {t: {frozenset({"bob"})} for t in data.tests}   # bob: every test, NotImplementedError
    for mistake, students in MISTAKES.items():
        for test in spec()[mistake]["fails"]:
            want[test].add(frozenset(students))
    assert got == want
    for group in groups:
        for mistake, students in MISTAKES.items():
            if set(group.students) == set(students):
                assert mistake in group.mistakes, f"{group.test}: {students} not named {mistake!r}"
    sizes = [len(g.students) for g in groups]
    assert sizes == sorted(sizes, reverse=True)


def _feedback_text(root, student):
    pages = sorted((root / "feedback" / student / NAME).glob("*.html"))
    assert pages, f"no feedback for {student}"
    return "\n".join(html.unescape(p.read_text()) for p in pages)


def test_a_known_mistake_gets_its_hint_and_a_correct_answer_none(graded):
    hints = clusters.hints(NAME)
    for mistake, students in MISTAKES.items():
        for student in students:
            text = _feedback_text(graded, student)
            assert hints[mistake] in text, f"{student} ({mistake}) did not get its hint"
            others = [h for m, h in hints.items() if m != mistake and h in text]
            assert others == [], f"{student} got another mistake's hint: {others}"
    for student in CORRECT:
        assert "course-hint" not in _feedback_text(graded, student), f"{student} got a hint"
    secrets = hidden_lines(NAME)
    for student in [s for names in MISTAKES.values() for s in names]:
        text = _feedback_text(graded, student)
        assert [line for line in secrets if line in text] == []


def test_similar_pairs(graded):
    pairs = similarity.for_class(graded, NAME)
    found = {frozenset((p.a, p.b)) for p in pairs}
    assert frozenset(("alice", "eve")) in found, "renamed variables hide nothing"
    flagged = {s for pair in found for s in pair}
    assert not {"alt0", "alt1"} & flagged, "independent correct answers are not similar"
    assert "bob" not in flagged, "the untouched starter code is boilerplate"


def test_report_page(graded):
    page = html_report.write(graded, NAME, settings=_settings(), out=lambda *_: None)
    text = page.read_text()
    for image in re.findall(r"<img src='([^']+)'", text):
        assert (page.parent / image).stat().st_size > 1000
    assert "alice and eve" in text and "sign flipped: N - M" in text


def test_the_known_mistakes_run_once_each_and_grading_keeps_them_current(graded, monkeypatch):
    """Grading ran every known mistake (the fixture's feedback ran none); an edited hint runs
    nothing, a new entry runs alone: in the report when it needs it, and in `make grade` once a
    report has used the mistakes (without being asked: `Settings.mistakes` is off here)."""
    entries = spec()
    sign = entries["sign flipped: N - M"]
    edited = dict(entries, **{"sign flipped: N - M": dict(sign, hint="Which tensor comes first?"),
                              "sign flipped, written again": dict(sign, code=sign["code"] + "\n# again\n")})
    monkeypatch.setattr(clusters, "spec", lambda name: edited)
    printed = []
    known = clusters.mistake_signatures(graded, NAME, _settings(), out=printed.append)
    assert printed == [f"running 1 of the {len(edited)} known mistakes of {NAME} once (cached afterwards)"]
    assert known["sign flipped, written again"] == known["sign flipped: N - M"]
    edited["sign flipped, once more"] = dict(sign, code=sign["code"] + "\n# once more\n")
    printed = []
    grader.grade(graded, NAME, _settings(), out=printed.append, progress=False, only={"alice"})
    assert any(line.startswith(f"ran 1 known mistake of {NAME} for the report") for line in printed), printed
    monkeypatch.setattr(clusters, "_run", _no_run)
    assert clusters.mistake_signatures(graded, NAME, out=printed.append)["sign flipped, once more"] == \
        known["sign flipped: N - M"]


def _tree_hash(folder):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_dry_run_lists_exactly_the_students_a_changed_hidden_test_affects(graded):
    # A new hidden check in test_subtract_values: M must be left as it was. Only the students who
    # subtract in place on M fail it; the sign-flipped already fail that test, the others pass it.
    path = graded / "source" / NAME / f"{NAME}.ipynb"
    original = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_subtract_values")
    cell.source = cell.source.replace("### END HIDDEN TESTS", (
        "M, N = torch.randn(2, 3, generator=g), torch.randn(3, generator=g)\n"
        "kept = M.clone()\nsubtract_three_ways(M, N)\nobserve(M - kept, 'M is left as it was')\n"
        "### END HIDDEN TESTS"))
    nbformat.write(nb, path)
    before = (graded / "gradebook.db").read_bytes(), _tree_hash(graded / "autograded"), _tree_hash(graded / "feedback")
    try:
        printed = []
        changes = dryrun.run(graded, NAME, _settings(), out=printed.append)
    finally:
        path.write_bytes(original)
    assert [str(c) for c in changes] == [
        f"{s}: 9 → 8 (test_subtract_values 1 → 0)" for s in MISTAKES["in-place on M itself (forgot the copy)"]]
    assert (graded / "gradebook.db").read_bytes() == before[0], "the gradebook was written"
    assert (_tree_hash(graded / "autograded"), _tree_hash(graded / "feedback")) == before[1:]
    assert any("2 of 17 students would change" in line for line in printed), printed


@pytest.mark.browser
def test_report_opens_in_chromium(graded):
    import browser_support as bs
    if not Path(bs.CHROMIUM).exists():
        pytest.skip(f"{bs.CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright
    page_path = html_report.write(graded, NAME, settings=_settings(), out=lambda *_: None)
    bs.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=bs.CHROMIUM, headless=True, args=bs.CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            assert len(widths) == 6 and all(w > 100 for w in widths), widths
            assert page.locator("#tests tr").count() == 1 + len(analytics.load(graded, NAME).tests)
            page.screenshot(path=bs.ARTIFACTS / "report.png", full_page=True)
        finally:
            browser.close()


def test_the_report_reads_a_postgresql_gradebook_as_a_sqlite_one(tmp_path, monkeypatch):
    """The demo class graded on PostgreSQL and on sqlite: the same statistics, failures and clusters,
    and the report is written from either."""
    import postgres_support
    postgres_support.require_binaries()
    with postgres_support.running() as server:
        seen = {}
        for kind in ("sqlite", "postgresql"):
            root = demo.make_course(tmp_path / kind, [NAME])
            demo.write_class(root, NAME)
            if kind == "postgresql":
                monkeypatch.setenv("COURSE_DB_URL", server.create_database())
            else:
                monkeypatch.delenv("COURSE_DB_URL", raising=False)
            grader.grade(root, NAME, _settings(), out=lambda *_: None, progress=False)
            data = analytics.load(root, NAME)
            # the known mistakes' cache, stored and read back (no kernels: an empty set of runs)
            entry = {"m": {"cell": "c", "code": "x = 1"}}
            clusters._keep(root, NAME, "key", entry, {"m": {"t": {"why": "wrong values"}}})
            assert clusters.lookup(root, NAME, "key", entry) == ({"m": {"t": {"why": "wrong values"}}}, {})
            monkeypatch.setattr(clusters, "mistake_signatures", lambda *a, **k: {})
            page = html_report.write(root, NAME, out=lambda *_: None)
            assert "grading report" in page.read_text()
            seen[kind] = (analytics.per_test(data), data.failures, data.status,
                          [(g.test, g.students) for g in clusters.cluster(data.failures, data.tests)])
            monkeypatch.undo()
    assert seen["postgresql"] == seen["sqlite"]
    assert seen["sqlite"][1]["carol"].keys() == set(specs.load_spec(NAME)["MISTAKES"][
        specs.load_spec(NAME)["DEMO"]["wrong"]]["fails"])
