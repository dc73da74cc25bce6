"""`make grade A=<assignment>`: the grading pipeline, one module per step, read top-down:

    grading/run.py        `grade`: plan who needs grading, probe the kernel, the reference, fan out, record
    grading/launcher.py   how kernels start (none / bubblewrap / bubblewrap+zygote), chosen once
    grading/gradebook.py  `Course`: nbgrader's API and one gradebook connection for the run
    grading/stages.py     the data between the steps: Submission, Executed, Result
    grading/prepare.py    read and sanitise one submission (here in the grading process, trusted)
    grading/work.py       what a worker executes: each notebook in a sandbox (grading/sandbox.py)
    grading/reference.py  the instructor's solution, run as a student's once, checked and cached
    grading/record.py     judge one student's tests (grading/verdict.py) and record them

This module hands on the names that callers use as `grader.<name>`.
"""
from . import sandbox  # noqa: F401
from .prepare import input_files, prepare  # noqa: F401
from .record import apply_verdicts, record  # noqa: F401
from .reference import source_notebooks as reference_notebooks  # noqa: F401
from .run import Interrupted, grade, plan  # noqa: F401
from .settings import Settings  # noqa: F401
from .work import execute, probe_kernel, run_reference  # noqa: F401
