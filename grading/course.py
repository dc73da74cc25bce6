"""A course folder and nbgrader's API on it: the pieces every grading command starts from.

A course folder holds nbgrader_config.py, source/ and release/ (this repository, or a scratch
copy of it made by the demo and the tests), and the class's submitted/ folder. Everything goes
through nbgrader's own Python API, so the gradebook, formgrader and `nbgrader` commands see the
same results. One run's API and gradebook connection: `Course` in grading/gradebook.py.
Release: grading/release.py; the gradebook's scores and CSV: grading/grades.py;
its records: grading/records.py; plain nbgrader autograde: grading/autograde.py; feedback:
grading/feedback.py.
"""
import contextlib
import functools
import json
import os
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parent.parent


class GradingError(Exception):
    """The pipeline could not run at all (not one student's broken submission)."""


def graders_own(err):
    """What one student's files can make fail is that student's problem; these are the grader's own
    (its database, its disk, a stopped run) and stop the run, nobody blamed."""
    from sqlalchemy.exc import SQLAlchemyError
    return isinstance(err, (GradingError, SQLAlchemyError, OSError))


def assignments(root=REPO):
    """Return the assignment names in `root`/source, sorted (each a folder with a notebook)."""
    source = Path(root) / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


@contextlib.contextmanager
def in_dir(path):
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


def db_url(root=REPO):
    """The gradebook's SQLAlchemy URL for the course at `root`: sqlite:///<root>/gradebook.db, or
    the server named by COURSE_DB_URL (nbgrader_config.py reads it; postgresql://... becomes
    postgresql+psycopg://..., the psycopg 3 driver)."""
    return nbgrader_api(root).coursedir.db_url


def db_label(url):
    """`url` with its password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:   # not a URL SQLAlchemy can parse: say nothing of it
        return "<unparsable database URL>"


def check_database(url):
    """Stop with a clear message when a database server named by COURSE_DB_URL cannot be reached;
    return whether it already holds a gradebook (nbgrader's tables)."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool
    try:
        engine = create_engine(url, future=True, poolclass=NullPool)
        try:
            return "submitted_assignment" in inspect(engine).get_table_names()
        finally:
            engine.dispose()
    except Exception as err:
        raise GradingError(f"cannot reach the gradebook database {db_label(url)} (COURSE_DB_URL): "
                           f"{str(err).splitlines()[0]}") from None


def check_result(result, what):
    if not result["success"]:
        raise GradingError(f"{what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")
    return result


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


# What the grading process reads of one notebook, checked before any of nbgrader's preprocessors
# (which cost about 0.1 ms a cell each): at most this many cells (the assignments have 24-35;
# a 200k-cell notebook took 16-32 s to prepare), JSON nested at most this deep (a notebook is
# about 8 deep; 5,000 nested brackets raised RecursionError in the grading process).
MAX_CELLS = 1000
MAX_DEPTH = 100


def _depth_over(data, limit):
    """Whether the JSON value `data` nests lists and objects more than `limit` deep (no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_notebook(data):
    """(notebook as version 4, '') from the bytes of a submitted notebook, or (None, why it
    cannot be graded). Never raises for what a file holds: whatever its bytes, it is one
    student's problem."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not UTF-8 text"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg.removesuffix(' starting at').lower()}"
    except RecursionError:
        return None, f"not a valid notebook: its JSON is nested more than {MAX_DEPTH} deep"
    except ValueError as err:   # e.g. an integer of more than 4,300 digits
        return None, f"not a valid notebook: {str(err).splitlines()[0][:160]}"
    if not isinstance(raw, dict):
        return None, "not a valid notebook: the file is not a JSON object"
    cells = raw.get("cells")
    if isinstance(cells, list) and len(cells) > MAX_CELLS:
        return None, f"a notebook of {len(cells)} cells: the grader takes at most {MAX_CELLS}"
    if _depth_over(raw, MAX_DEPTH):
        return None, f"not a valid notebook: its JSON is nested more than {MAX_DEPTH} deep"
    import nbformat
    from nbformat import versions
    from nbformat.reader import get_version
    try:
        major, minor = get_version(raw)   # nbformat.reads, on the JSON already parsed
        nb = versions[major].to_notebook_json(raw, minor=minor)
        nbformat.validate(nb)
        nb = nbformat.convert(nb, 4)
    except (KeyError, AttributeError) as err:   # nbformat's reader takes the keys it needs as given
        return None, f"not a valid notebook: it lacks {str(err).strip(chr(39))[:60]!r} or has it of the wrong type"
    except Exception as err:  # nbformat raises several types for malformed notebooks
        return None, f"not a valid notebook: {str(err).splitlines()[0][:160] if str(err) else type(err).__name__}"
    if not nb.get("cells"):
        return None, "the notebook has no cells"
    return nb, ""


MAX_NOTEBOOK_BYTES = 50 * 2**20


def read_notebook(path):
    """(notebook, '') for the submitted notebook at `path`, or (None, why it cannot be graded);
    a link or anything else that is not a file is refused, not followed."""
    from . import submission
    try:
        data = submission.read(path, limit=MAX_NOTEBOOK_BYTES)
    except submission.Refused as err:
        return None, str(err).replace(f"{Path(path).name} is ", "", 1)
    return load_notebook(data)


def submission_problem(path):
    """Return why the notebook at `path` cannot be graded ('' when it can)."""
    return read_notebook(path)[1]


def students(root, name):
    """Return the ids of the students with a folder submitted/<student>/<name>."""
    submitted = Path(root) / "submitted"
    if not submitted.exists():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / name).is_dir())
