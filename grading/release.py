"""Student copies: release/ generated from source/, and the gradebook's record of each assignment.

`generate` writes the student copies and records the assignment's cells (and the hash of its
source/) in the gradebook; `ensure_in_gradebook` does the latter alone when source/ changed since;
`release_drift` lists the files of the committed release/ that a fresh generation would change.
"""
import filecmp
import shutil
import tempfile
from pathlib import Path

from . import records
from .course import REPO, assignments, check_result, in_dir, nbgrader_api
from .gradebook import course_of


def generate(root=REPO, names=None, release_dir="release", db_url=None):
    """Generate student copies of `names` (default: all) from source/ into `release_dir`.

    This also records each assignment's cells in the gradebook (the course's, or `db_url`'s),
    which autograding needs."""
    from nbgrader.api import Gradebook
    root = Path(root).resolve()
    api = nbgrader_api(root, release_directory=release_dir, **({"db_url": db_url} if db_url else {}))
    with in_dir(root):
        for name in names or assignments(root):
            check_result(api.generate_assignment(name, force=True), f"generating {name}")
            with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
                records.set_recorded_tests(gb.db, name, records.tests_hash(root, name))
                gb.db.commit()


def release_drift(root=REPO, names=None):
    """Regenerate into a scratch folder, with a scratch gradebook (a check writes nothing into the
    course); return the files of release/ that differ from it."""
    root = Path(root).resolve()
    names = names or assignments(root)
    base = Path(tempfile.mkdtemp(prefix="regen-"))
    scratch = base / "release"
    try:
        generate(root, names, release_dir=str(scratch), db_url=f"sqlite:///{base / 'gradebook.db'}")
        drift = []
        for name in names:
            fresh, committed = scratch / name, root / "release" / name
            fresh_files = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
            committed_files = ({p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
                               if committed.exists() else set())
            for rel in sorted(fresh_files | committed_files):
                a, b = fresh / rel, committed / rel
                if not (a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)):
                    drift.append(f"release/{name}/{rel}")
        return drift
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _gradebook_is_current(course, name):
    from nbgrader.api import MissingEntry
    with course.gradebook() as gb:
        try:
            known = len(gb.find_assignment(name).notebooks) > 0
        except MissingEntry:
            return False
        return known and records.recorded_tests(gb.db, name) == records.tests_hash(course.root, name)


def ensure_in_gradebook(course, name):
    """Record `name`'s source cells in the gradebook if they are not there yet, or were recorded
    from another version of source/ (the tests the grader restores come from there).

    Generates into a scratch folder so the committed release/ is never rewritten here. On
    PostgreSQL two graders starting at once take turns (records.exclusive): nbgrader creates the
    schema and the course and assignment rows without expecting a second writer."""
    course = course_of(course)   # a Course, or the course folder
    with records.exclusive(course.db_url):
        if not _gradebook_is_current(course, name):
            scratch = tempfile.mkdtemp(prefix="regen-")
            try:
                generate(course.root, [name], release_dir=scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
