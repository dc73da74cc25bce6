"""The instructor's pipeline on a course folder: release, autograde, feedback, export.

A course folder holds nbgrader_config.py, source/ and release/ (this repository, or a scratch
copy of it made by the demo and the tests). Everything goes through nbgrader's own Python API,
so the gradebook, formgrader and `nbgrader` commands see the same results.
"""
import contextlib
import csv
import filecmp
import functools
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from . import records

REPO = Path(__file__).resolve().parent.parent


class GradingError(Exception):
    """The pipeline could not run at all (not one student's broken submission)."""


def assignments(root=REPO):
    """Return the assignment names in `root`/source, sorted (each a folder with a notebook)."""
    source = Path(root) / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


@contextlib.contextmanager
def _in_dir(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@functools.lru_cache(maxsize=None)
def alembic_head():
    """The revision nbgrader stamps on a new gradebook, as nbgrader.api.get_alembic_version returns
    it, but read in this process: nbgrader runs `alembic heads` in a fresh Python that imports
    nbgrader again, 5-10 s for every new gradebook (tests create one per worker)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini
    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:
        heads = ScriptDirectory.from_config(Config(ini)).get_heads()
    if len(heads) != 1:
        raise GradingError(f"nbgrader's database migrations have {len(heads)} heads, expected one: {heads}")
    return heads[0]


def nbgrader_api(root=REPO, **overrides):
    """Return an NbGraderAPI for the course at `root`, configured by its nbgrader_config.py.

    `overrides` are CourseDirectory settings, e.g. release_directory="build/regen"."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader runs the `alembic` command when it creates a gradebook: it must be on PATH even
    # when this environment's python was called without activating the environment.
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    import nbgrader.api
    nbgrader.api.get_alembic_version = alembic_head
    root = Path(root).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    for key, value in overrides.items():
        config.CourseDirectory[key] = value
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _check(result, what):
    if not result["success"]:
        raise GradingError(f"{what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")
    return result


def generate(root=REPO, names=None, release_dir="release"):
    """Generate student copies of `names` (default: all) from source/ into `release_dir`.

    This also records each assignment's cells in the gradebook, which autograding needs."""
    from nbgrader.api import Gradebook
    root = Path(root).resolve()
    api = nbgrader_api(root, release_directory=release_dir)
    with _in_dir(root):
        for name in names or assignments(root):
            _check(api.generate_assignment(name, force=True), f"generating {name}")
            with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
                records.set_recorded_tests(gb.db, name, records.tests_hash(root, name))
                gb.db.commit()


def release_drift(root=REPO, names=None):
    """Regenerate into a scratch folder; return the files of release/ that differ from it."""
    root = Path(root).resolve()
    names = names or assignments(root)
    scratch = Path(tempfile.mkdtemp(prefix="regen-"))
    try:
        generate(root, names, release_dir=str(scratch))
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
        shutil.rmtree(scratch, ignore_errors=True)


def _gradebook_is_current(api, root, name):
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            known = len(gb.find_assignment(name).notebooks) > 0
        except MissingEntry:
            return False
        return known and records.recorded_tests(gb.db, name) == records.tests_hash(root, name)


def ensure_in_gradebook(root, name):
    """Record `name`'s source cells in the gradebook if they are not there yet, or were recorded
    from another version of source/ (the tests the grader restores come from there).

    Generates into a scratch folder so the committed release/ is never rewritten here."""
    api = nbgrader_api(root)
    if not _gradebook_is_current(api, root, name):
        scratch = tempfile.mkdtemp(prefix="regen-")
        try:
            generate(root, [name], release_dir=scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def plural(n, word):
    return word if n == 1 else word + "s"


def require_class(root, name):
    """Stop with a clear message (and before anything is written) when there is nothing to grade."""
    root = Path(root)
    if not (root / "source" / name).is_dir():
        raise GradingError(f"no assignment {name!r} in {root / 'source'} (assignments there: "
                           f"{', '.join(assignments(root)) if (root / 'source').is_dir() else 'none'})")
    if not students(root, name):
        raise GradingError(
            f"no submissions of {name} in {root / 'submitted'}/<student>/{name}/: collect them first "
            f"(`nbgrader collect {name}` from the exchange, or `nbgrader zip_collect {name}` for an LMS "
            f"download); nothing was written")


def submission_problem(path):
    """Return why the notebook at `path` cannot be graded ('' when it can)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except UnicodeDecodeError:
        return "not a notebook: the file is not UTF-8 text"
    except json.JSONDecodeError as err:
        return f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg.removesuffix(' starting at').lower()}"
    try:
        nb = nbformat.from_dict(data)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several types for malformed notebooks
        return f"not a valid notebook: {str(err).splitlines()[0]}"
    if not nb.get("cells"):
        return "the notebook has no cells"
    return ""


def students(root, name):
    """Return the ids of the students with a folder submitted/<student>/<name>."""
    submitted = Path(root) / "submitted"
    if not submitted.exists():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / name).is_dir())


def autograde(root, name, only=None):
    """Autograde assignment `name` for every submitting student, one after another.

    Returns {student: status}: 'graded', or 'error: <why>' for a submission that could not be
    graded (the others are graded all the same)."""
    root = Path(root).resolve()
    require_class(root, name)
    ensure_in_gradebook(root, name)
    api = nbgrader_api(root)
    expected = [nb.stem for nb in (root / "source" / name).glob("*.ipynb")]
    status = {}
    with _in_dir(root):
        for student in only or students(root, name):
            folder = root / "submitted" / student / name
            problems = []
            for nb in expected:
                path = folder / f"{nb}.ipynb"
                why = submission_problem(path) if path.exists() else ""
                if not path.exists():
                    problems.append(f"missing notebook {nb}.ipynb")
                elif why:
                    problems.append(f"{nb}.ipynb is {why}")
            if problems:
                status[student] = "error: " + "; ".join(problems)
                _record(api, root, name, student, status[student], zero=True)
                continue
            result = api.autograde(name, student, force=True, create=True)
            status[student] = "graded" if result["success"] else "error: " + _last_error(result)
            _record(api, root, name, student, status[student])
    return status


def _record(api, root, name, student, status, zero=False):
    """Write a student's record; with `zero`, give a broken submission an explicit zero in the
    same transaction (never a stale earlier autograde); manual grades are kept, as grader.record
    keeps them."""
    from nbgrader.api import Gradebook
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        if zero:
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(name, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
        records.write(gb.db, name, student, status, records.submission_hash(root, name, student),
                      records.tests_hash(root, name))
        gb.db.commit()


def _last_error(result):
    text = (result.get("error") or result.get("log") or "nbgrader failed").strip().splitlines()
    errors = [line for line in text if "ERROR" in line or "Error" in line]
    return (errors or text)[-1]


def feedback(root, name):
    """Generate HTML feedback for every graded student of `name` (hidden tests removed), and a
    page saying why and what to do for each notebook that could not be graded."""
    from . import feedback as pages
    root = Path(root).resolve()
    require_class(root, name)
    status = load_status(root, name).get(name, {})
    autograded = root / "autograded"
    done = sorted(p.name for p in autograded.iterdir() if (p / name).is_dir()) if autograded.exists() else []
    if not done and not status:
        raise GradingError(f"nothing graded for {name} yet: run `make grade A={name}` first; nothing was written")
    api = nbgrader_api(root)
    with _in_dir(root):
        for student in done:
            _check(api.generate_feedback(name, student, force=True), f"feedback for {student}")
    notebooks = sorted(p.stem for p in (root / "source" / name).glob("*.ipynb"))
    for student, why in sorted(status.items()):
        for notebook in notebooks:
            if not (autograded / student / name / f"{notebook}.ipynb").exists():
                pages.write_problem_page(root / "feedback" / student / name / f"{notebook}.html",
                                         name, notebook, why)


def require_gradebook(root):
    """Stop with a clear message when the course has no gradebook yet (nothing was graded)."""
    api = nbgrader_api(root)
    url = api.coursedir.db_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        raise GradingError(f"no gradebook at {url[len('sqlite:///'):]}: grade a class first "
                           f"(`make grade A=<assignment> COURSE={root}`); nothing was written")
    return api


def load_status(root, name=None):
    """Return the recorded grading status: {assignment: {student: status}} (from the gradebook)."""
    from nbgrader.api import Gradebook
    api = require_gradebook(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        found = records.read(gb.db, name)
        gb.db.commit()
    return {a: {s: r.status for s, r in students.items()} for a, students in found.items()}


EXTRA_COLUMNS = ["autograded_score", "autograded_max", "manual_grading", "status"]


def export(root, csv_path="grades.csv"):
    """Write nbgrader's CSV export of the gradebook to `csv_path`, sorted by assignment and
    student, plus: the autograded score and maximum; `manual_grading` ('pending' while written
    answers are ungraded, which nbgrader's score then counts as 0, else 'done' or 'none'); and
    the recorded status ('graded', 'error: ...', ...) or 'no submission', so a broken submission
    is never a bare 0. Returns the rows as dicts."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.plugins import CsvExportPlugin

    root = Path(root).resolve()
    target = Path(csv_path) if Path(csv_path).is_absolute() else root / csv_path
    api = require_gradebook(root)
    recorded = load_status(root)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.csv")
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            CsvExportPlugin(to=raw, config=api.config).export(gb)
            with open(raw, newline="") as f:
                rows = list(csv.DictReader(f))
            for row in rows:
                try:
                    sub = gb.find_submission(row["assignment"], row["student_id"])
                    default = "graded"
                    manual = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "markdown"
                              or (g.auto_score is None)]
                    row["autograded_score"] = f"{sub.code_score:g}"
                    row["autograded_max"] = f"{sub.max_code_score:g}"
                    row["manual_grading"] = ("none" if not manual else
                                             "pending" if any(g.manual_score is None for g in manual) else "done")
                except MissingEntry:
                    default = "no submission"
                    row.update(autograded_score="", autograded_max="", manual_grading="")
                row["status"] = recorded.get(row["assignment"], {}).get(row["student_id"], default)
    rows.sort(key=lambda r: (r["assignment"], r["student_id"]))
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["assignment", "student_id", *EXTRA_COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def scores(root, name):
    """Return {student: (autograded score, autograded maximum)} for `name` from the gradebook."""
    from nbgrader.api import Gradebook
    api = nbgrader_api(root)
    out = {}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        for submission in gb.find_assignment(name).submissions:
            out[submission.student.id] = (submission.code_score, submission.max_code_score)
    return out
