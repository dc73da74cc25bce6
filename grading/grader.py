"""Grade a whole class in parallel, each submission isolated: `make grade A=<assignment>`.

For every student with submitted/<student>/<assignment>/, in this order:

1. prepare (here, trusted): check each notebook is readable; run nbgrader's own sanitising
   preprocessors (clear outputs, restore the kernelspec, overwrite locked and test cells from
   the gradebook, add back deleted test cells) and put the graded cells back in the order of the
   student copy in release/;
2. execute (a worker process per core, one torch thread each): the kernel runs in a bubblewrap
   sandbox with timeouts, a memory cap and bounded output (see grading/sandbox.py);
3. record (here, one student at a time): the autograded notebook is written to a temporary
   folder and renamed into autograded/, the scores go into nbgrader's gradebook in one
   transaction (manual grades and comments are kept), and the status into grading-status.json.

A student whose status is recorded is skipped on the next run unless `force`; a run killed at
any point and started again therefore finishes the class with the same scores. Statuses:
`graded`, `error: <why>`, `timeout (<why>)`, `missing notebook <name>`.
"""
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import course, sandbox


@dataclass
class Settings:
    workers: int = os.cpu_count() or 1
    cell_timeout: int = 60          # seconds for one cell
    notebook_timeout: int = 600     # seconds for a whole notebook
    memory_mb: int = 4096           # address-space cap of the kernel
    max_output_bytes: int = 200_000  # captured output kept per cell
    force: bool = False
    sandbox: bool = True


def _resources(root, name, student, notebook):
    api = course.nbgrader_api(root)
    return api.coursedir, {"nbgrader": {"student": student, "assignment": name, "notebook": notebook,
                                        "db_url": api.coursedir.db_url, "course_id": api.coursedir.course_id}}


def _canonical_order(nb, release_nb):
    """Put graded/locked cells in the student copy's order; a student's own cells follow the
    graded cell they followed in the submission."""
    order = [c.metadata["nbgrader"]["grade_id"] for c in release_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")]
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


def prepare(root, name, student):
    """Return ({notebook id: sanitised notebook}, {notebook id: problem}) for one submission."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds, OverwriteCells, OverwriteKernelspec

    root = Path(root)
    ready, problems = {}, {}
    for source_path in sorted((root / "source" / name).glob("*.ipynb")):
        notebook = source_path.stem
        path = root / "submitted" / student / name / source_path.name
        if not path.exists():
            problems[notebook] = f"missing notebook {source_path.name}"
            continue
        if path.stat().st_size > 50 * 2**20:
            problems[notebook] = f"error: {source_path.name} is larger than 50 MB"
            continue
        why = course.submission_problem(path)
        if why:
            problems[notebook] = f"error: {source_path.name} is {why}"
            continue
        coursedir, resources = _resources(root, name, student, notebook)
        nb = nbformat.read(path, as_version=4)
        try:
            for pp in (ClearOutputPreprocessor(), DeduplicateIds(), OverwriteKernelspec(),
                       OverwriteCells(config=coursedir.config, add_missing_cells=True), CheckCellMetadata()):
                nb, resources = pp.preprocess(nb, resources)
        except Exception as err:  # tampered metadata and the like: this student only
            problems[notebook] = f"error: {source_path.name} could not be prepared: {str(err).splitlines()[0][:160]}"
            continue
        release = root / "release" / name / source_path.name
        if release.exists():
            nb = _canonical_order(nb, nbformat.read(release, as_version=4))
        ready[notebook] = nb
    return ready, problems


def _die_with_parent():
    """Worker initialiser: die when the grading process dies (even by SIGKILL); ignore Ctrl-C."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def execute(root, name, student, notebooks, settings):
    """Worker: run each prepared notebook in its own sandbox; return ({id: notebook}, {id: problem})."""
    root = Path(root)
    done, problems = {}, {}
    for notebook, data in notebooks.items():
        nb = nbformat.from_dict(data)
        scratch = Path(tempfile.mkdtemp(prefix=f"grade-{student}-"))
        try:
            work = scratch / "work"
            shutil.copytree(root / "submitted" / student / name, work,
                            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
            shutil.copytree(root / "source" / name, work, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
            os.chmod(scratch, 0o700)
            hide = sorted({str(root.resolve()), str(course.REPO), os.path.expanduser("~")})
            problem = sandbox.run_notebook(
                nb, work, scratch, hide, cell_timeout=settings.cell_timeout,
                notebook_timeout=settings.notebook_timeout, memory_mb=settings.memory_mb,
                max_output_bytes=settings.max_output_bytes, sandbox=settings.sandbox)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        done[notebook] = nb
        if problem:
            problems[notebook] = problem
    return done, problems


def _write_autograded(root, name, student, notebooks):
    """Replace autograded/<student>/<name>/ at once: write a sibling folder, then rename."""
    from nbgrader.preprocessors import LimitOutput
    target = Path(root) / "autograded" / student / name
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{name}-*"):   # left by a run killed while writing this one
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    submitted = Path(root) / "submitted" / student / name
    shutil.copytree(submitted, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb"))
    for notebook, nb in notebooks.items():
        nb, _ = LimitOutput().preprocess(nb, {})
        nbformat.write(nb, tmp / f"{notebook}.ipynb")
    old = target.with_name(f".{name}-old")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def record(root, name, student, notebooks, problems, final=True):
    """Save one student's results: autograded files, then the gradebook in one transaction, then
    the status (unless not `final`: a crash of the grader itself is retried by the next run)."""
    from nbgrader import utils
    from nbgrader.api import Gradebook

    root = Path(root)
    api = course.nbgrader_api(root)
    if notebooks:
        _write_autograded(root, name, student, notebooks)
    timestamp = api.coursedir.get_existing_timestamp(str(root / "submitted" / student / name))
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        gb.update_or_create_student(student)
        if timestamp:
            submission = gb.update_or_create_submission(name, student, timestamp=timestamp)
        else:
            submission = gb.update_or_create_submission(name, student)
        for sub_nb in submission.notebooks:
            nb = notebooks.get(sub_nb.name)
            cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id")} if nb is not None else {}
            for grade in sub_nb.grades:
                cell = cells.get(grade.name)
                if cell is None:          # the notebook is missing or broken: nothing earns points
                    grade.auto_score, grade.needs_manual_grade = 0, False
                    continue
                grade.auto_score, _ = utils.determine_grade(cell)
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in sub_nb.comments:
                cell = cells.get(comment.name)
                unchanged = cell is not None and cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
                comment.auto_comment = "No response." if unchanged or cell is None else None
        gb.db.commit()
    status = "; ".join(problems[k] for k in sorted(problems)) if problems else "graded"
    if final:
        course.save_status(root, name, {student: status})
    return status


def grade(root, name, settings=None, out=print, progress=True, only=None):
    """Grade every submission of `name` under `root` (or the students in `only`); return
    {student: status} for this run."""
    settings = settings or Settings()
    root = Path(root).resolve()
    if not (root / "source" / name).is_dir():
        raise course.GradingError(f"no assignment {name!r} in {root / 'source'}")
    if settings.sandbox and not sandbox.bwrap_available():
        raise course.GradingError("bubblewrap (bwrap) is needed to isolate submissions: "
                                  "`apt-get install bubblewrap`, or pass --no-sandbox to grade without isolation")
    course.ensure_in_gradebook(root, name)
    everyone = [s for s in course.students(root, name) if only is None or s in only]
    recorded = course.load_status(root).get(name, {})
    todo = [s for s in everyone if settings.force or s not in recorded]
    if len(todo) < len(everyone):
        out(f"skipping {len(everyone) - len(todo)} student(s) already graded (use --force / FORCE=1 to regrade)")
    results = {}
    prepared = {}
    for student in todo:
        ready, problems = prepare(root, name, student)
        if not ready:
            results[student] = record(root, name, student, {}, problems)
        else:
            prepared[student] = (ready, problems)
    started = time.perf_counter()
    bar = _progress(len(prepared), progress)
    # Workers fork from a server that has imported the grader once (per grading process), so a
    # pool starts in milliseconds instead of re-importing nbgrader and nbclient in every worker.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["grading.grader"])
    with ProcessPoolExecutor(max_workers=max(1, settings.workers), mp_context=ctx, initializer=_die_with_parent) as pool:
        futures = {pool.submit(execute, str(root), name, student, {k: dict(v) for k, v in ready.items()}, settings): student
                   for student, (ready, _) in prepared.items()}
        for future in as_completed(futures):
            student = futures[future]
            ready, problems = prepared[student]
            try:
                done, run_problems = future.result()
                final = True
            except Exception as err:  # the grader's own failure: reported now, retried next run
                done, run_problems = {}, {k: f"error: grading crashed: {type(err).__name__}: {err}" for k in ready}
                final = False
            results[student] = record(root, name, student, done, {**problems, **run_problems}, final=final)
            bar.update(1)
    bar.close()
    elapsed = time.perf_counter() - started
    if prepared:
        out(f"graded {len(prepared)} submission(s) of {name} in {elapsed:.1f} s with {settings.workers} worker(s)")
    return results


def _progress(total, enabled):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="grading", unit="student", disable=not enabled or total == 0)

