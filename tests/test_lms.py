"""Rosters from Canvas and Moodle, grades back in the layouts they import, and late penalties.

The CSV files here follow the columns the LMSs document (grading/lms.py cites the pages):
Canvas's gradebook export `Student, ID, SIS User ID, SIS Login ID, Section, <title> (<id>)` with
its "Points Possible" row, and Moodle's export `First name, Last name, ID number, Institution,
Department, Email address, <grade item>`, whose CSV import maps "Email address" to useremail.
One small class is graded once (sandboxed where bubblewrap exists): an on-time full solution, the
same solution 2.5 days late, and a blank copy; the course's policy takes 10 % per started day.
"""
import csv
import subprocess
import sys

import nbformat
import pytest

from grading import demo, grader, grades, late, lms, sandbox
from grading.course import GradingError

NAME = "01_tensor_basics"
DUE = "2026-03-01 23:59:00 UTC"
TIMES = {"jdoe": "2026-03-01 20:00:00.000000 UTC",       # on time
         "rlate": "2026-03-04 11:59:00.000000 UTC",      # 2.5 days late: three started days
         "bblank": "2026-03-01 10:00:00.000000 UTC"}     # on time, nothing answered

CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,01_tensor_basics (4242),Quiz 1 (777),Current Score\n"
    "    Points Possible,,,,,10,5,(read only)\n"
    '"Doe, Jane",1001,U1001,jdoe,DL-01,,4,\n'
    '"Late, Robin",1002,U1002,rlate,DL-01,,5,\n'
    '"Blank, Bo",1003,U1003,bblank,DL-02,,3,\n'
    '"Student, Test",1999,,,DL-01,,,\n')
MOODLE = (
    "First name,Last name,ID number,Institution,Department,Email address,Assignment: Quiz 1 (Real)\n"
    "Jane,Doe,S1,Uni,CS,jane.doe@uni.example,4.00\n"
    "Robin,Late,S2,Uni,CS,robin.late@uni.example,5.00\n"
    "Bo,Blank,S3,Uni,CS,bblank@uni.example,3.00\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The small class, graded once; returns the course folder."""
    root = demo.make_course(tmp_path_factory.mktemp("lms") / "course", [NAME])
    (filename, source_nb, release_nb), = demo.notebooks(root, NAME)
    full = demo.fill(release_nb, demo.solution_cells(source_nb))
    for student, nb in (("jdoe", full), ("rlate", full), ("bblank", release_nb)):
        folder = root / "submitted" / student / NAME
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / filename)
        (folder / "timestamp.txt").write_text(TIMES[student])
    late.set_due_date(root, NAME, DUE)
    settings = grader.Settings(workers=2, sandbox=sandbox.bwrap_available())
    status = grader.grade(root, NAME, settings, out=lambda *_: None, progress=False)
    assert status == {s: "graded" for s in TIMES}, status
    return root


def test_late_submission_gets_the_penalty_on_time_does_not(graded):
    full = demo.expected_scores(NAME)["alice"]
    rows = {r["student_id"]: r for r in grades.export(graded, "grades.csv")}
    assert float(rows["jdoe"]["raw_score"]) == full and float(rows["jdoe"]["late_submission_penalty"]) == 0
    assert float(rows["jdoe"]["score"]) == full
    assert float(rows["rlate"]["raw_score"]) == full
    assert float(rows["rlate"]["late_submission_penalty"]) == pytest.approx(0.3 * full)   # 3 days x 10 %
    assert float(rows["rlate"]["score"]) == pytest.approx(0.7 * full)
    assert float(rows["bblank"]["score"]) == 0 and float(rows["bblank"]["late_submission_penalty"]) == 0


def test_penalty_policy_is_the_configured_plugin():
    policy = late.PercentPerDay(percent_per_day=25)
    assert policy.late_submission_penalty("x", 8.0, 1) == 2.0            # one second: one started day
    assert policy.late_submission_penalty("x", 8.0, 86400 * 2 + 1) == 6.0
    assert policy.late_submission_penalty("x", 8.0, 86400 * 30) == 8.0   # never more than the score


def test_canvas_roster_then_canvas_grade_import_file(graded, tmp_path):
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS)
    students = lms.import_roster(graded, roster)
    assert [(s.id, s.first_name, s.last_name) for s in students] == [
        ("jdoe", "Jane", "Doe"), ("rlate", "Robin", "Late"), ("bblank", "Bo", "Blank")]
    target = tmp_path / "canvas_import.csv"
    count, unknown = lms.canvas_export(graded, roster, target)
    assert (count, unknown) == (3, [])
    with open(target, newline="") as f:
        rows = list(csv.reader(f))
    # Canvas's identity columns, then the assignment under the export's own "<title> (<id>)".
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_tensor_basics (4242)"]
    source = nbformat.read(graded / "source" / NAME / f"{NAME}.ipynb", as_version=4)
    possible = sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in source.cells)   # all points, written ones too
    assert rows[1][0] == "Points Possible" and float(rows[1][5]) == possible == 15
    by_login = {r[3]: r for r in rows[2:]}
    full = demo.expected_scores(NAME)["alice"]
    assert by_login["jdoe"][:5] == ["Doe, Jane", "1001", "U1001", "jdoe", "DL-01"]
    assert float(by_login["jdoe"][5]) == full
    assert float(by_login["rlate"][5]) == pytest.approx(0.7 * full)
    assert by_login["bblank"][5] == "0"
    assert "1999" not in [r[1] for r in rows], "Canvas's Test Student is not a student"


def test_moodle_roster_then_moodle_grade_import_file(graded, tmp_path):
    roster = tmp_path / "moodle.csv"
    roster.write_text(MOODLE)
    # Moodle's ids are the ID number here; the gradebook's students are the hub logins, so map them.
    students = lms.read_roster(roster)
    assert [s.email for s in students] == ["jane.doe@uni.example", "robin.late@uni.example", "bblank@uni.example"]
    assert [s.id for s in students] == ["S1", "S2", "S3"]   # ID number when there is no Username
    logins = tmp_path / "moodle_logins.csv"
    logins.write_text(MOODLE.replace("Email address,", "Email address,Username,", 1)
                      .replace(".example,4", ".example,jdoe,4").replace(".example,5", ".example,rlate,5")
                      .replace(".example,3", ".example,bblank,3"))
    assert [s.id for s in lms.import_roster(graded, logins)] == ["jdoe", "rlate", "bblank"]
    target = tmp_path / "moodle_import.csv"
    assert lms.moodle_export(graded, target) == 3
    with open(target, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["First name", "Last name", "Email address", NAME]
    by_email = {r["Email address"]: r for r in rows}
    full = demo.expected_scores(NAME)["alice"]
    assert float(by_email["jane.doe@uni.example"][NAME]) == full
    assert float(by_email["robin.late@uni.example"][NAME]) == pytest.approx(0.7 * full)
    assert by_email["bblank@uni.example"][NAME] == "0"
    assert by_email["jane.doe@uni.example"]["First name"] == "Jane"


@pytest.mark.slow   # each builds a demo course
@pytest.mark.parametrize("text, why", [
    ("Student,ID,SIS User ID,SIS Login ID,Section\n\"A, B\",1,,ab,S\n\"C, D\",2,,ab,S\n", "'ab' again (first on row 2)"),
    ("Student,ID,SIS User ID,SIS Login ID,Section\n\"A, B\",1,,../etc,S\n", "cannot be a student id"),
    ("First name,Last name,Email address\nA,B,\n", "row 2: no student id"),
    ("name,mail\nx,y\n", "neither a Canvas gradebook export"),
])
def test_bad_rosters_are_refused_whole(tmp_path, text, why):
    root = demo.make_course(tmp_path / "c", [NAME])
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    done = subprocess.run([sys.executable, "-m", "grading", "roster", "--course", str(root), str(roster)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and why in done.stderr, done.stderr
    assert "nothing was imported" in done.stderr or "neither" in done.stderr
    assert not (root / "gradebook.db").exists(), "a refused roster wrote a gradebook"


def test_canvas_export_uses_the_roster_imported_with_make_roster(graded, tmp_path):
    """Step 7 as the docs write it: `make roster FILE=...` once, then `make lms-export LMS=canvas`
    without ROSTER= fills in that export."""
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS)
    lms.import_roster(graded, roster)
    roster.unlink()   # kept in the gradebook, not read from where it was
    target = tmp_path / "canvas_import.csv"
    done = subprocess.run([sys.executable, "-m", "grading", "lms-export", "canvas", "--course", str(graded),
                           "--to", str(target)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "using the Canvas roster imported with make roster (canvas.csv)" in done.stdout
    with open(target, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-1] == "01_tensor_basics (4242)" and len(rows) == 5   # header, points, three students


def test_canvas_columns_are_matched_by_id_or_title_and_the_rest_is_said():
    header = ["Student", "ID", "SIS Login ID", "Section", "01 Tensor Basics (4242)", "Lab two (55)", "Quiz 1 (777)"]
    names = ["01_tensor_basics", "02_linear_regression", "03_logistic_regression"]
    columns, warnings = lms.match_columns(header, names, ids={"02_linear_regression": 55})
    assert columns == {"01_tensor_basics": "01 Tensor Basics (4242)",        # by title
                       "02_linear_regression": "Lab two (55)",                # by id
                       "03_logistic_regression": "03_logistic_regression"}    # new column
    assert len(warnings) == 2
    assert warnings[0].startswith("03_logistic_regression: no Canvas column matches")
    assert warnings[1].endswith("left out: Quiz 1 (777)")


def test_lms_export_of_an_empty_class_stops_and_writes_nothing(tmp_path):
    root = demo.make_course(tmp_path / "c", [NAME])
    for argv in (["canvas", "--roster", str(tmp_path / "x.csv")], ["moodle"]):
        done = subprocess.run([sys.executable, "-m", "grading", "lms-export", *argv, "--course", str(root)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and "grade a class first" in done.stderr, done.stderr
        assert not list(root.glob("*grades.csv")), "an empty class wrote a grades file"
        assert not (root / "gradebook.db").exists(), "lms-export created an empty gradebook"


def test_canvas_without_a_roster_names_what_to_type(graded, tmp_path, monkeypatch):
    monkeypatch.setattr(lms, "imported_roster", lambda root: None)   # no `make roster` yet
    with pytest.raises(GradingError, match=r"make roster FILE=<export.csv>.*ROSTER=<export.csv>"):
        lms.export(graded, "canvas", target=tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
