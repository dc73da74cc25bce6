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
    root = Path(root).resolve()
    api = nbgrader_api(root, release_directory=release_dir)
    with _in_dir(root):
        for name in names or assignments(root):
            _check(api.generate_assignment(name, force=True), f"generating {name}")


def release_drift(root=REPO, names=None):
    """Regenerate into a scratch folder; return the files of release/ that differ from it."""
    root = Path(root).resolve()
    names = names or assignments(root)
    scratch = Path(tempfile.mkdtemp(prefix="regen-", dir=_scratch_dir(root)))
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


def _scratch_dir(root):
    path = Path(root) / "build"
    path.mkdir(exist_ok=True)
    return path


def _known_to_gradebook(api, name):
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            return len(gb.find_assignment(name).notebooks) > 0
        except MissingEntry:
            return False


def ensure_in_gradebook(root, name):
    """Record `name`'s source cells in the gradebook if they are not there yet.

    Generates into a scratch folder so the committed release/ is never rewritten here."""
    api = nbgrader_api(root)
    if not _known_to_gradebook(api, name):
        scratch = tempfile.mkdtemp(prefix="regen-", dir=_scratch_dir(root))
        try:
            generate(root, [name], release_dir=scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def submission_problem(path):
    """Return why the notebook at `path` cannot be graded ('' when it can)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except UnicodeDecodeError:
        return "not a notebook: the file is not UTF-8 text"
    except json.JSONDecodeError as err:
        return f"not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}"
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
                _record_zero(api, name, student)
                continue
            result = api.autograde(name, student, force=True, create=True)
            status[student] = "graded" if result["success"] else "error: " + _last_error(result)
    save_status(root, name, status)
    return status


def _record_zero(api, name, student):
    """Give a broken submission an explicit zero in the gradebook (never a stale earlier
    autograde); manual grades are kept, as grader.record keeps them."""
    from nbgrader.api import Gradebook
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(name, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def _last_error(result):
    text = (result.get("error") or result.get("log") or "nbgrader failed").strip().splitlines()
    errors = [line for line in text if "ERROR" in line or "Error" in line]
    return (errors or text)[-1][:200]


def feedback(root, name):
    """Generate HTML feedback for every autograded student of `name` (hidden tests removed)."""
    root = Path(root).resolve()
    api = nbgrader_api(root)
    with _in_dir(root):
        autograded = root / "autograded"
        for student in sorted(p.name for p in autograded.iterdir() if (p / name).is_dir()) if autograded.exists() else []:
            _check(api.generate_feedback(name, student, force=True), f"feedback for {student}")


STATUS_FILE = "grading-status.json"


def load_status(root):
    """Return the recorded grading status: {assignment: {student: status}}."""
    path = Path(root) / STATUS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def save_status(root, name, status):
    """Merge {student: status} for assignment `name` into the course's status file, atomically."""
    path = Path(root) / STATUS_FILE
    data = load_status(root)
    data.setdefault(name, {}).update(status)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def export(root, csv_path="grades.csv"):
    """Write nbgrader's CSV export of the gradebook to `csv_path`, plus a `status` column.

    The status is the recorded one ('graded', 'error: ...', ...) or 'no submission'; a broken
    submission is therefore never a bare 0. Returns the rows as dicts."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.plugins import CsvExportPlugin

    root = Path(root).resolve()
    target = Path(csv_path) if Path(csv_path).is_absolute() else root / csv_path
    api = nbgrader_api(root)
    recorded = load_status(root)
    with tempfile.TemporaryDirectory(dir=_scratch_dir(root)) as tmp:
        raw = os.path.join(tmp, "raw.csv")
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            CsvExportPlugin(to=raw, config=api.config).export(gb)
            with open(raw, newline="") as f:
                rows = list(csv.DictReader(f))
            for row in rows:
                try:
                    gb.find_submission(row["assignment"], row["student_id"])
                    default = "graded"
                except MissingEntry:
                    default = "no submission"
                row["status"] = recorded.get(row["assignment"], {}).get(row["student_id"], default)
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["assignment", "student_id", "status"])
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


def format_table(results):
    """Render {(assignment, student): (score, max, status)} as an aligned text table."""
    rows = [("assignment", "student", "autograded", "status")]
    for (name, student), (score, maximum, status) in results.items():
        shown = f"{score:g} / {maximum:g}" if maximum is not None else "-"
        flag = "ERROR " if status.startswith("error") else ""
        rows.append((name, student, shown if not flag else "-", flag + status))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
