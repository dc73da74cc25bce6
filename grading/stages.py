"""The data a submission carries from one stage of a run to the next (otter's `GradingResults`
is the model), so each stage's inputs and outputs are named, not tuples of dicts:

    prepare (grading/prepare.py)  -> Submission   its sanitised notebooks, or why it cannot run
    execute (grading/work.py)     -> Executed     its notebooks as the kernels left them
    record  (grading/record.py)   -> Result       verdicts, points, status, timings: what was recorded
"""
import copyreg
from dataclasses import dataclass, field
from datetime import datetime

from nbformat.notebooknode import NotebookNode

from . import status as statuses


def _node(node):
    """How a notebook's node travels between the grader's processes (a task to its worker, a
    result back, through a Dask worker): as the plain dict it holds. Pickled as a dict subclass, each
    node came back through `NotebookNode.__setitem__` key by key and a failed attribute lookup
    (`__setstate__`, for the `_allownew` flag every node carries): 5.4 ms to unpickle an executed
    notebook of assignment 1 (669 nodes), 1.9 ms this way, and 1.25 ms to pickle it, 0.76."""
    return NotebookNode, (dict(node),)


copyreg.pickle(NotebookNode, _node)   # in every process that imports this module


@dataclass
class Submission:
    """One student's submission of one assignment, prepared in the grading process."""
    assignment: str
    student: str
    hashes: tuple = ("", "")          # (submission hash, tests hash) as recorded
    notebooks: dict = field(default_factory=dict)   # {notebook id: sanitised notebook}
    problems: dict = field(default_factory=dict)    # {notebook id ('' for the whole): Status}
    timestamp: datetime = None        # when it was submitted (timestamp.txt), if known
    seconds: float = 0.0              # spent preparing it

    @property
    def ready(self):
        """Something can run: at least one notebook was prepared."""
        return bool(self.notebooks)

    def task(self):
        """The notebooks as plain data, as a worker receives them."""
        return {notebook: dict(nb) for notebook, nb in self.notebooks.items()}


@dataclass
class Executed:
    """What a worker returns for one submission: the executed notebooks and their problems."""
    notebooks: dict = field(default_factory=dict)   # {notebook id: executed notebook}
    problems: dict = field(default_factory=dict)    # {notebook id: Status}
    seconds: float = 0.0
    # seconds, summed over its notebooks, as the worker measured them (grading/notebook.py: `STEPS`)
    timings: dict = field(default_factory=dict)


@dataclass
class Result:
    """One student's graded result, as grading/record.py writes it to autograded/ and the gradebook."""
    assignment: str
    student: str
    hashes: tuple = ("", "")
    notebooks: dict = field(default_factory=dict)   # {notebook id: executed notebook}
    problems: dict = field(default_factory=dict)    # {notebook id: Status}
    final: bool = True                # False: the grader's own failure, retried by the next run
    timestamp: datetime = None
    verdicts: dict = field(default_factory=dict)    # {notebook id: {grade id: Verdict}} (record)
    points: dict = field(default_factory=dict)      # {notebook id: {grade id: points}} (record)
    timings: dict = field(default_factory=dict)     # seconds: {"prepare", "execute", "execute.<step>", "record"}

    @property
    def status(self):
        return statuses.combine(self.problems)

    @classmethod
    def of(cls, submission, executed=None, final=True):
        """The result to record for `submission`, run (`executed`) or not."""
        executed = executed or Executed()
        return cls(submission.assignment, submission.student, submission.hashes, executed.notebooks,
                   {**submission.problems, **executed.problems}, final, submission.timestamp,
                   timings={"prepare": submission.seconds, "execute": executed.seconds,
                            **{f"execute.{step}": seconds for step, seconds in executed.timings.items()}})
