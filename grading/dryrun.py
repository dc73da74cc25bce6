"""`make grade A=<assignment> DRY_RUN=1`: what a change of source/ would do to the class's scores,
before it does it.

Every submission of the assignment is regraded in a scratch copy of the course (its
nbgrader_config.py, the assignment's source/ and release/, the submissions, the course's secret
for the hidden held-out sets) with a gradebook of its own (sqlite, whatever COURSE_DB_URL says),
and each student's autograded points per test are compared with those the real gradebook holds.
The real gradebook, autograded/ and feedback/ are only read: nothing of the course is written. The
instructor then runs `make grade A=<assignment>` for real (the changed tests regrade everyone).
"""
import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from . import analytics, course, outcome


@dataclass(frozen=True)
class Change:
    student: str
    before: float | None       # autograded points now recorded (None: not graded yet)
    after: float
    tests: tuple               # ((test, points before or None, points after), ...) that differ

    def __str__(self):
        was = "not graded" if self.before is None else f"{self.before:g}"
        detail = ", ".join(f"{t} {'-' if b is None else f'{b:g}'} → {'-' if a is None else f'{a:g}'}"
                           for t, b, a in self.tests)
        return f"{self.student}: {was} → {self.after:g}" + (f" ({detail})" if detail else "")


def scratch_copy(root, name, target):
    """Copy what grading `name` reads from the course at `root` into `target` (links kept as links)."""
    root, target = Path(root), Path(target)
    target.mkdir(parents=True)
    shutil.copy(root / "nbgrader_config.py", target)
    for folder in ("source", "release"):
        if (root / folder / name).is_dir():
            shutil.copytree(root / folder / name, target / folder / name, symlinks=True)
    for student in course.students(root, name):
        shutil.copytree(root / "submitted" / student / name, target / "submitted" / student / name, symlinks=True)
    if (root / outcome.SECRET_FILE).is_file():
        shutil.copy(root / outcome.SECRET_FILE, target / outcome.SECRET_FILE)
    return target


@contextlib.contextmanager
def _own_gradebook():
    """The scratch course's gradebook is sqlite in its folder, whatever COURSE_DB_URL names."""
    saved = os.environ.pop("COURSE_DB_URL", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["COURSE_DB_URL"] = saved


def compare(before, after):
    """[Change] of each student whose points differ between two `analytics.Class`es."""
    changes = []
    tests = list(dict.fromkeys(before.tests + after.tests))
    for student in after.students:
        old = before.points.get(student, {}) if student in before.status else None
        new = after.points.get(student, {})
        differ = tuple((t, None if old is None else old.get(t), new.get(t)) for t in tests
                       if old is None or old.get(t) != new.get(t))
        total_before = None if old is None else before.total(student)
        if differ or total_before != after.total(student):
            changes.append(Change(student, total_before, after.total(student), differ))
    return changes


def run(root, name, settings=None, out=print):
    """Regrade every submission of `name` in scratch; print and return the [Change]s."""
    from . import grader
    from .settings import Settings
    root = Path(root).resolve()
    course.require_class(root, name)
    before = analytics.load(root, name)
    settings = replace(settings or Settings(), force=True, mistakes=False)   # no report of the scratch copy
    with tempfile.TemporaryDirectory(prefix="dry-run-") as tmp, _own_gradebook():
        scratch = scratch_copy(root, name, Path(tmp) / "course")
        out(f"dry run: regrading every submission of {name} in a scratch copy; the gradebook is not written")
        grader.grade(scratch, name, settings, out=out, progress=False)
        after = analytics.load(scratch, name)
    changes = compare(before, after)
    for change in changes:
        out(str(change))
    out(f"{len(changes)} of {len(after.students)} {course.plural(len(after.students), 'student')} would change; "
        f"nothing was written. To apply: make grade A={name}" if changes else
        f"no score would change ({len(after.students)} {course.plural(len(after.students), 'student')}); nothing was written")
    return changes
