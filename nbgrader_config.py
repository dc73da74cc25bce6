"""nbgrader configuration for this course.

Every path is relative to this file, so the course works from any clone (and from the
scratch copies the demo and the tests make). Working folders (submitted/, autograded/,
feedback/, exchange/) and gradebook.db are git-ignored.
"""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "dl-course"
c.CourseDirectory.root = HERE
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.Exchange.root = os.path.join(HERE, "exchange")
c.Exchange.path_includes_course = True
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# Student stubs: the same line in every answer cell.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding: bounded cells, deleted test cells put back, hidden tests kept out of feedback.
c.Execute.timeout = 120
c.OverwriteCells.add_missing_cells = True
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "grading.feedback.HideHiddenTests",
]
