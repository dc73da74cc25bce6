"""`make autograde` (plain nbgrader autograde, kept to compare) reports a submission it cannot
grade with `make grade`'s own checks (grading/prepare.py), in the same words."""
from grading import autograde, demo, prepare, status
from grading.gradebook import Course

NAME = "01_tensor_basics"


def test_autograde_reports_broken_submissions_as_grade_does(tmp_path, gradebook):
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    (filename, _, _), = demo.notebooks(root, NAME)
    for student, data in (("dave", b"{"), ("erin", b""), ("fay", None)):
        folder = root / "submitted" / student / NAME
        folder.mkdir(parents=True)
        if data is not None:
            (folder / filename).write_bytes(data)
    (root / "submitted" / "gus" / NAME).mkdir(parents=True)
    (root / "submitted" / "gus" / NAME / "timestamp.txt").write_text("not a time")
    found = autograde.autograde(root, NAME)
    with Course(root) as course:
        expected = {s: str(status.combine(prepare.prepare(course, NAME, s).problems)) for s in found}
    assert found == expected
    assert found["fay"] == f"error: missing notebook {filename}"
    assert found["dave"].startswith(f"error: {filename} is not valid JSON")
    assert all(status.Status.parse(text).kind == "error" for text in found.values())
