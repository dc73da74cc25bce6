"""Record one student, here in the grading process, once their notebooks have run.

Each test cell is judged against the reference's observations, outside the kernel
(grading/verdict.py: pass or fail, and the fraction of its points); the autograded notebooks are
written to a temporary folder and renamed into autograded/; the scores (manual grades and
comments kept), the late penalty (grading/late.py) and the student's record (status, submission
hash, tests hash: grading/records.py) go into the gradebook's database in one transaction.
What the submission makes fail here records that student as an error; the grader's own failures
(its database, its disk) stop the run.
"""
import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from . import cells, late, observed, records, status, submission, verdict
from .course import graders_own
from .gradebook import course_of
from .prepare import input_files

def apply_verdicts(nb, tests):
    """Decide each test cell of an executed notebook against its reference observations
    ({grade_id: [observation]}); return {grade_id: Verdict}. The cell keeps what the student's
    code printed, loses the observations, and ends with the verdict's message when it failed."""
    verdicts = {}
    for cell in cells.test_cells(nb):
        grade_id = cells.grade_id(cell)
        verdicts[grade_id] = verdict.judge(tests.get(grade_id, []), cell)
        verdict.strip_observations(cell)
        cell.outputs = [o for o in cell.outputs if o.get("ename") != verdict.FAILED]
        if not verdicts[grade_id].passed:
            cell.outputs.append(cells.error_output(verdict.FAILED, verdicts[grade_id].message))
    return verdicts


def record(course, result, ref=None):
    """Save one student's `Result` (grading/stages.py): autograded files, then scores and record
    in one transaction (no record unless `result.final`: a crash of the grader itself is retried
    by the next run); fill in its verdicts and points, and return its status as recorded.

    `course` is the run's Course (grading/gradebook.py: one API, one gradebook connection whose
    compiled statements are reused, 34 ms a student instead of 79) or a course folder; `ref` the
    reference observations ({notebook: {grade_id: [observation]}}) the test cells are judged against."""
    from nbgrader import utils

    started = time.perf_counter()
    course = course_of(course)
    root, name, student, notebooks = course.root, result.assignment, result.student, result.notebooks
    hashes = result.hashes if all(result.hashes) else (records.submission_hash(root, name, student),
                                                       records.tests_hash(root, name))
    failed, took = observed.failures(notebooks, ref), observed.seconds(notebooks)   # before the observations go
    result.verdicts = {notebook: apply_verdicts(nb, (ref or {}).get(notebook, {})) for notebook, nb in notebooks.items()}
    timestamp = result.timestamp
    if timestamp is None:
        try:
            timestamp = late.submission_time(root / "submitted" / student / name)
        except late.BadTimestamp:   # already this student's problem (prepare): no time, no penalty
            timestamp = None
    outcome = str(result.status)
    with records.exclusive(course.db_url, records.student_key(name, student)), course.gradebook() as gb, \
            _one_transaction(gb.db) as commit:
        _write_autograded(root, name, student, notebooks, timestamp)
        gb.update_or_create_student(student)
        if timestamp:
            submission = gb.update_or_create_submission(name, student, timestamp=timestamp)
        else:
            submission = gb.update_or_create_submission(name, student)
        _load_grades(gb.db, submission)
        for sub_nb in submission.notebooks:
            nb = notebooks.get(sub_nb.name)
            by_id = {cells.grade_id(c): c for c in nb.cells if cells.grade_id(c)} if nb is not None else {}
            judged = result.verdicts.get(sub_nb.name, {})
            points = result.points.setdefault(sub_nb.name, {})
            for grade in sub_nb.grades:
                cell = by_id.get(grade.name)
                if cell is None:          # the notebook is missing or broken: nothing earns points
                    grade.auto_score, grade.needs_manual_grade = 0, False
                    continue
                if grade.name in judged:  # decided here, from the observations
                    grade.auto_score = points[grade.name] = judged[grade.name].points(grade.max_score)
                else:                     # a written answer: graded by hand
                    grade.auto_score, _ = utils.determine_grade(cell)
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in sub_nb.comments:
                cell = by_id.get(comment.name)
                unchanged = cell is not None and cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
                comment.auto_comment = "No response." if unchanged or cell is None else None
        late.apply(course.api, gb, submission)   # issue 17: the configured late penalty, same transaction
        if result.final:
            records.write(gb.db, name, student, outcome, *hashes)
            observed.write(gb.db, name, student, failed, took)
        commit()
    result.timings["record"] = time.perf_counter() - started
    return outcome


@contextlib.contextmanager
def _one_transaction(db):
    """nbgrader's `update_or_create_*` commit as they go (six commits a student, each a sync of
    the gradebook's file); inside this block they flush instead, so that recording a student is
    one transaction, committed once at its end, and rolled back whole when anything fails."""
    commit, db.commit = db.commit, db.flush
    try:
        yield commit
    finally:
        del db.commit


def _load_grades(db, submission):
    """Load `submission`'s notebooks, grades, comments, their cells and points in three queries:
    read one at a time they cost two or three lazy queries each (30 ms a student of assignment 1)."""
    from nbgrader.api import Comment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy.orm import joinedload, selectinload, undefer
    db.query(SubmittedAssignment).filter(SubmittedAssignment.id == submission.id).options(
        selectinload(SubmittedAssignment.notebooks).options(
            joinedload(SubmittedNotebook.notebook),
            selectinload(SubmittedNotebook.grades).options(joinedload(Grade.cell), undefer(Grade.max_score)),
            selectinload(SubmittedNotebook.comments).joinedload(Comment.cell))).all()


def record_one(course, result, ref=None):
    """`record`, where anything the submission makes fail (its notebooks, its outputs) records
    that student as an error instead, with no score; the grader's own failures stop the run."""
    try:
        return record(course, result, ref)
    except Exception as err:
        if graders_own(err):
            raise
        failed = dataclasses.replace(result, notebooks={}, verdicts={}, points={},
                                     problems={**result.problems, "": status.blame(err, "recorded")})
        return record(course, failed)


def _write_autograded(root, name, student, notebooks, timestamp=None):
    """Replace autograded/<student>/<name>/ at once: write a sibling folder, then rename.
    It holds the graded notebooks, the assignment's declared data files (source/'s copies) and
    the submission's time (`timestamp`), nothing else of the submission: feedback copies this
    folder to the student. With no notebooks (a broken submission) the old folder goes, so no
    stale result remains."""
    from nbgrader.preprocessors import LimitOutput
    target = Path(root) / "autograded" / student / name
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{name}-*"):   # left by a run killed while writing this one
        shutil.rmtree(stale, ignore_errors=True)
    old = target.with_name(f".{name}-old")
    if not notebooks:
        if target.exists():
            os.rename(target, old)
            shutil.rmtree(old, ignore_errors=True)
        return
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    for relative, data in input_files(Path(root) / "source" / name).items():
        (tmp / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp / relative).write_bytes(data)
    if timestamp is not None:
        (tmp / late.TIMESTAMP).write_text(late.format_time(timestamp) + "\n")
    secret = _submission_secret(Path(root) / "submitted" / student / name)
    if secret:   # nbgrader's release_feedback names the student's feedback page by it
        (tmp / submission.SECRET).write_text(secret)
    for notebook, nb in notebooks.items():
        nb, _ = LimitOutput().preprocess(nb, {})
        nbformat.write(nb, tmp / f"{notebook}.ipynb")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def _submission_secret(folder):
    """The secret `nbgrader submit` wrote beside the notebooks (hex digits), or None."""
    try:
        text = submission.read(folder / submission.SECRET, limit=1024).decode("ascii").strip()
    except (OSError, submission.Refused, UnicodeDecodeError):
        return None
    return text if text and all(c in "0123456789abcdefABCDEF" for c in text) else None
