"""The feedback filter and small grading tools."""
from pathlib import Path

import nbformat

from conftest import REPO, read
from grading import course, feedback


def test_strip_hidden_keeps_visible_lines():
    source = "a = 1\n### BEGIN HIDDEN TESTS\nassert secret()\n### END HIDDEN TESTS\nb = 2"
    assert feedback.strip_hidden(source) == f"a = 1\n{feedback.PLACEHOLDER}\nb = 2"


def test_short_error_drops_traceback_code():
    out = feedback.short_error(nbformat.from_dict(
        {"output_type": "error", "ename": "AssertionError", "evalue": "x is wrong",
         "traceback": ["Cell In[3], line 9", "assert secret_value == 4"]}))
    assert out.traceback == ["AssertionError: x is wrong"]


def test_submission_problem_names_the_fault(tmp_path):
    bad = tmp_path / "a.ipynb"
    bad.write_text('{"cells": [')
    assert course.submission_problem(bad).startswith("not valid JSON")
    bad.write_bytes(b"\xff\xfe\x00")
    assert "UTF-8" in course.submission_problem(bad)
    bad.write_text('{"cells": 3}')
    assert course.submission_problem(bad).startswith("not a valid notebook")
    nbformat.write(nbformat.v4.new_notebook(), bad)
    assert course.submission_problem(bad) == "the notebook has no cells"


def test_alembic_head_is_what_nbgrader_would_stamp(tmp_path):
    """course.alembic_head replaces nbgrader's `alembic heads` subprocess: it must name the one
    migration that no other migration revises (read here from the migration files themselves),
    and a gradebook created through the course's API must carry it."""
    import re
    import sqlite3

    import nbgrader
    from nbgrader.api import Gradebook

    revisions, revised = set(), set()
    for script in (Path(nbgrader.__file__).parent / "alembic" / "versions").glob("*.py"):
        text = script.read_text()
        revisions.add(re.search(r"^revision\s*=\s*['\"](\w+)['\"]", text, re.M).group(1))
        down = re.search(r"^down_revision\s*=\s*['\"](\w+)['\"]", text, re.M)
        if down:
            revised.add(down.group(1))
    assert revisions - revised == {course.alembic_head()}
    course.nbgrader_api(REPO)                     # installs the replacement
    db = tmp_path / "gradebook.db"
    Gradebook(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(course.alembic_head(),)]


def test_writing_autograded_files_clears_what_a_killed_run_left(tmp_path):
    """A grader killed while writing autograded/<student>/<name>/ leaves a hidden temporary
    sibling; the next write for that student removes it and leaves only the finished folder."""
    from grading import record
    name, student = "01_tensor_basics", "alice"
    (tmp_path / "submitted" / student / name).mkdir(parents=True)
    parent = tmp_path / "autograded" / student
    (parent / f".{name}-k1ll3d").mkdir(parents=True)
    (parent / f".{name}-k1ll3d" / f"{name}.ipynb").write_text("half")
    record._write_autograded(tmp_path, name, student, {name: nbformat.v4.new_notebook()})
    assert sorted(p.name for p in parent.iterdir()) == [name]
    assert read(parent / name / f"{name}.ipynb").cells == []
