"""End to end: the demo class of each assignment is autograded with exact expected scores.

alice (full solution) gets the autograded maximum, bob (untouched release) 0, carol (one specific
wrong answer) her exact partial score, and dave's invalid notebook is reported as an error while
the others are still graded. Feedback shows no hidden test, and grades.csv carries the status.
"""
import csv
import html

from conftest import ASSIGNMENTS, graded_tests, marked_lines, read, source_notebooks
from grading import demo


def hidden_lines(name):
    return [line for path in source_notebooks(name)
            for line in marked_lines(graded_tests(read(path)), "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")]


def check_demo_class(name, tmp_path, gradebook):
    printed = []
    results = demo.run([name], target=tmp_path / "course", out=printed.append, gradebook=gradebook)
    expected = demo.expected_scores(name)
    maximum = results[(name, "alice")][1]
    assert expected["alice"] == maximum, "the full solution must get the autograded maximum"
    for student in ("alice", "bob", "carol"):
        score, _, status = results[(name, student)]
        assert (score, status) == (expected[student], "graded"), f"{student}: {score} {status}"
    # bob submitted the untouched student copy: every autograded test cell must have failed.
    bobs = sorted((tmp_path / "course" / "autograded" / "bob" / name).glob("*.ipynb"))
    assert bobs, "bob's autograded notebook is missing"
    for path in bobs:
        nb = read(path)
        passing = [c.metadata.nbgrader["grade_id"] for c in graded_tests(nb)
                   if not any(o.output_type == "error" for o in c.outputs)]
        assert graded_tests(nb) and passing == [], f"the student copy passes {passing}"
    score, _, status = results[(name, "dave")]
    assert status.startswith("error: ") and "not valid JSON" in status
    table = next(p for p in printed if p.startswith("assignment"))
    assert "ERROR" in [line for line in table.splitlines() if " dave " in line][0]

    with open(tmp_path / "course" / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == name}
    assert rows["dave"]["status"].startswith("error: ")
    assert rows["alice"]["status"] == "graded" and float(rows["alice"]["raw_score"]) == expected["alice"]

    secrets = hidden_lines(name)
    assert secrets, f"{name} has no hidden tests"
    for student in ("alice", "bob", "carol"):
        pages = sorted((tmp_path / "course" / "feedback" / student / name).glob("*.html"))
        assert pages, f"no feedback for {student}"
        for page in pages:
            text = html.unescape(page.read_text())
            assert "BEGIN HIDDEN TESTS" not in text
            leaked = [line for line in secrets if line in text]
            assert leaked == [], f"{student}'s feedback shows hidden tests: {leaked[:3]}"


# One class per assignment, so that pytest-xdist (`--dist loadscope`) spreads them.
for _name in ASSIGNMENTS:
    globals()[f"TestDemoClass_{_name}"] = type(f"TestDemoClass_{_name}", (), {
        "test_exact_scores": lambda self, tmp_path, gradebook, _n=_name: check_demo_class(_n, tmp_path, gradebook)})
