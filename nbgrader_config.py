"""nbgrader configuration for this course.

Every path is relative to this file, so the course works from any clone (and from the
scratch copies the demo and the tests make). Working folders (submitted/, autograded/,
feedback/, exchange/) and gradebook.db are git-ignored.

The gradebook is gradebook.db (sqlite) beside this file unless the environment names a database
server: COURSE_DB_URL=postgresql://grader@/dlcourse (what a class with several graders needs:
nbgrader's FAQ advises against sqlite there). The URL is handed to SQLAlchemy with the psycopg 3
driver (requirements.txt), which leaves to libpq what it does not say: no host is the unix
socket (peer authentication, no password anywhere), no password is ~/.pgpass or PGPASSFILE.
README, "The gradebook", says why a password never goes in the URL. COURSE_EXCHANGE overrides the exchange folder (a hub's
shared /srv/nbgrader/exchange).
"""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
HERE = os.path.dirname(os.path.abspath(__file__))

# COURSE_ID: the id the hub's groups use (deploy/jupyterhub_config.py), the same default.
c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "").strip() or "dl-course"
c.CourseDirectory.root = HERE


def sqlalchemy_url(url):
    """postgresql://... (as libpq and cloud consoles write it) -> SQLAlchemy's psycopg 3 URL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


_db = os.environ.get("COURSE_DB_URL", "").strip()
c.CourseDirectory.db_url = sqlalchemy_url(_db) if _db else "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "").strip() or os.path.join(HERE, "exchange")
c.Exchange.path_includes_course = True
# Collection copies regular files only (no link, FIFO or device is followed) and writes each
# submission's time from its files' inode change times, not the student's timestamp.txt.
c.ExchangeFactory.collect = "grading.exchange.SafeCollect"
# heldout.py: the generator of an assignment's hidden held-out sets, run by the grader alone
# (grading/outcome.py), never released.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "heldout.py"]

# Student stubs: the same line in every answer cell.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Late submissions (grading/late.py): a submission's time is its timestamp.txt (written by the
# collector above: the student cannot set it), the due date the
# gradebook's (`make due A=<name> WHEN="2026-03-01 23:59:00 UTC"` or Formgrader). nbgrader's
# AssignLatePenalties plugin decides the penalty, in `make grade` as in `nbgrader autograde`:
# here 10 % of a notebook's score per started day late. nbgrader's own LateSubmissionPlugin with
# penalty_method "none" takes nothing off, "zero" takes everything.
c.AssignLatePenalties.plugin_class = "grading.late.PercentPerDay"
c.PercentPerDay.percent_per_day = 10

# Autograding: bounded cells, deleted test cells put back, hidden tests kept out of feedback.
c.Execute.timeout = 120
c.OverwriteCells.add_missing_cells = True
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "grading.feedback.HideHiddenTests",
]
