"""Prepare one submission, here in the grading process (trusted), before any of it runs.

A submission holding a link, FIFO, device or socket, or a malformed timestamp.txt, is refused
whole; each notebook is read without following a link and checked (grading/course.py), then goes
through nbgrader's own sanitising preprocessors (clear outputs, restore the kernelspec, overwrite
locked and test cells from the gradebook, add back deleted test cells: grading/restore.py), and
its graded cells are put back in the order of the student copy in release/. What the submission
makes fail here is that student's `error: ...`; the grader's own failures stop the run.

Also here: the files that reach a kernel beside its notebook (`input_files`: only the
assignment's declared ones) and a submission's hash, by which a run knows who needs grading.
"""
import functools
import os
import time
from pathlib import Path

import nbformat

from . import course as mod_course
from . import late, records, status, submission
from . import outcome as heldout
from .gradebook import course_of
from .stages import Submission

def _resources(course, name, student, notebook):
    return {"nbgrader": {"student": student, "assignment": name, "notebook": notebook,
                         "db_url": course.db_url, "course_id": course.course_id}}


def release_order(path):
    """The grade ids of the student copy at `path` (release/), in its order, or None where there is
    none: read once per version of the file (`_release_order`), not once per student."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return _release_order(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=64)
def _release_order(path, mtime_ns, size):
    nb = nbformat.read(path, as_version=4)   # the course's: not blamed
    return tuple(c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id"))


def _canonical_order(nb, order):
    """Put graded/locked cells in the student copy's order (its grade ids, `order`); a student's own
    cells follow the graded cell they followed in the submission."""
    groups, head, current = {}, [], None
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in order:
            current = grade_id
            groups[grade_id] = [cell]
        elif current is None:
            head.append(cell)
        else:
            groups[current].append(cell)
    nb.cells = head + [cell for grade_id in order for cell in groups.get(grade_id, [])]
    return nb


def prepare(course, name, student, snapshot=None, hashes=("", "")):
    """Return the `Submission` of `student` to `name` in `course` (a Course or its folder): its
    sanitised notebooks ({notebook id: notebook}) and problems ({notebook id: Status}).

    `snapshot` is the gradebook's copy of the assignment's cells (`restore.Snapshot`), read once
    per run; without one it is read here. A submission holding a link, FIFO, device or socket (at
    any depth) or a malformed timestamp.txt is refused whole (its problem under ''); a notebook
    is read without following a link and checked (`course.read_notebook`: at most
    `course.MAX_CELLS` cells) before nbgrader's preprocessors see it."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    from nbgrader.preprocessors import DeduplicateIds

    from . import restore
    started = time.perf_counter()
    course = course_of(course)
    root = course.root
    snapshot = snapshot or restore.Snapshot.of(course, name)
    prepared = Submission(name, student, hashes)
    ready, problems = prepared.notebooks, prepared.problems
    folder = root / "submitted" / student / name
    why = whole_problem(folder)
    if why:
        problems[""] = why
        return prepared
    prepared.timestamp = late.submission_time(folder)
    for source_path in sorted((root / "source" / name).glob("*.ipynb")):
        notebook = source_path.stem
        path = folder / source_path.name
        nb, problem = read_submitted(path)
        if problem:
            problems[notebook] = problem
            continue
        resources = _resources(course, name, student, notebook)
        order = release_order(root / "release" / name / source_path.name)
        try:
            for pp in (ClearOutputPreprocessor(), DeduplicateIds(), restore.RestoreKernelspec(snapshot),
                       restore.RestoreCells(snapshot, config=course.config, add_missing_cells=True),
                       restore.CheckMetadata()):
                nb, resources = pp.preprocess(nb, resources)
            if order is not None:
                nb = _canonical_order(nb, order)
        except Exception as err:  # tampered metadata and the like: this student only
            problems[notebook] = status.error(f"{source_path.name} could not be prepared: {str(err).splitlines()[0][:160] if str(err) else type(err).__name__}")
            continue
        ready[notebook] = nb
    prepared.seconds = time.perf_counter() - started
    return prepared


def whole_problem(folder):
    """Why the submission in `folder` is refused whole (a Status), or None: it holds a link,
    FIFO, device or socket (at any depth), or a malformed timestamp.txt."""
    refused = submission.refused(folder)
    if refused:
        listed = ", ".join(f"{path} ({what})" for path, what in list(refused.items())[:3])
        return status.error(f"the submission holds what is not a file: {listed}; "
                            f"a submission is files and folders only")
    try:
        late.submission_time(folder)
    except late.BadTimestamp as err:
        return status.error(str(err))
    return None


def read_submitted(path):
    """(notebook, None) for the submitted notebook at `path`, or (None, why it cannot be graded:
    a Status): missing, not a file, not a notebook (grading/course.py's checks)."""
    if not path.exists():
        return None, status.error(f"missing notebook {path.name}")
    nb, why = mod_course.read_notebook(path)
    return (None, status.error(f"{path.name} is {why}")) if why else (nb, None)


# Files beside the notebooks that a kernel finds in its working folder, at most this much in all.
MAX_INPUT_BYTES = 50 * 2**20


def input_files(folder):
    """{relative path: bytes} of the files (notebooks aside) of the assignment's source `folder`:
    what a kernel finds beside its notebook and a task carries to its worker, so that no worker
    needs the course folder. Only these declared files: a student's own copies of them and their
    extra files never reach a kernel (the reference ran on these); nor does the held-out sets'
    generator, which only the grading process runs (grading/outcome.py)."""
    files, total = {}, 0
    for relative in submission.declared(Path(folder).parent.parent, Path(folder).name):
        if relative.endswith(".ipynb") or Path(relative).name == heldout.GENERATOR:
            continue
        total += (Path(folder) / relative).stat().st_size
        if total > MAX_INPUT_BYTES:
            raise mod_course.GradingError(f"the files beside the notebooks in {folder} exceed "
                                      f"{MAX_INPUT_BYTES // 2**20} MB")
        files[relative] = submission.read(Path(folder) / relative)
    return files


def submission_hash(root, name, student):
    """The student's submission hash, or the exception reading their files raised (their problem:
    `grade` records it as their status)."""
    try:
        return records.submission_hash(root, name, student)
    except Exception as err:
        if mod_course.graders_own(err) and not isinstance(err, (RecursionError, PermissionError)):
            raise
        return err


def stored(pair):
    """(submission hash, tests hash) as recorded: an unreadable submission's hash is 'unreadable'."""
    return ("unreadable", pair[1]) if isinstance(pair[0], Exception) else pair


def prepare_one(course, name, student, snapshot, hashes):
    """`prepare`, where anything the submission makes fail is that student's error (as is a
    submission whose files could not be read: `hashes` holding the exception)."""
    if isinstance(hashes[0], Exception):
        return Submission(name, student, stored(hashes), problems={"": status.blame(hashes[0], "read")})
    try:
        return prepare(course, name, student, snapshot, hashes)
    except Exception as err:
        if mod_course.graders_own(err):
            raise
        return Submission(name, student, stored(hashes), problems={"": status.blame(err, "prepared")})


def say_ignored(root, name, students, out):
    """Say which submissions held files the assignment does not declare (left out of grading)."""
    found = {}
    for student in students:
        try:
            found[student] = submission.extra(root, name, Path(root) / "submitted" / student / name)
        except OSError:
            continue
    found = {s: f for s, f in found.items() if f}
    if found:
        listed = "; ".join(f"{s}: {', '.join(f[:3])}" + (" ..." if len(f) > 3 else "") for s, f in list(found.items())[:5])
        out(f"ignored the files that {name} does not declare in {len(found)} "
            f"{mod_course.plural(len(found), 'submission')} (only source/{name}'s files reach a kernel): {listed}")
