"""A course for the length of one run: nbgrader's API built once, one gradebook connection.

`make grade` used to build nbgrader's API about ten times and open the gradebook about eleven for
one run; a `Course` is made once by the run (grading/run.py) and handed to each step (plan,
prepare, the reference, record, the late penalty), which use its `api` and `gradebook()`.
"""
import contextlib
import functools
from pathlib import Path

from .course import nbgrader_api


class Course:
    """The course folder `root`, its nbgrader API and its gradebook, opened on first use and kept
    until `close` (a `with Course(root) as course:` block closes it)."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self._gb = None

    @functools.cached_property
    def api(self):
        return nbgrader_api(self.root)

    @property
    def config(self):
        return self.api.coursedir.config

    @property
    def db_url(self):
        return self.api.coursedir.db_url

    @property
    def course_id(self):
        return self.api.coursedir.course_id

    @contextlib.contextmanager
    def gradebook(self):
        """The run's open Gradebook. What a block leaves uncommitted is rolled back when it ends
        (also on an error), so the next block starts clean and no read holds the database."""
        if self._gb is None:
            from nbgrader.api import Gradebook
            self._gb = Gradebook(self.db_url, self.course_id)
        try:
            yield self._gb
        finally:
            self._gb.db.rollback()

    def close(self):
        if self._gb is not None:
            self._gb.close()
            self._gb = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def course_of(root_or_course):
    """`root_or_course` as a Course (a path makes a new one)."""
    return root_or_course if isinstance(root_or_course, Course) else Course(root_or_course)
