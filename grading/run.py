"""Grade a whole class in parallel, each submission isolated: `make grade A=<assignment>`.

`grade` below is the run; each step is a module of its own, in the order a submission meets them.
The run chooses how kernels start once (grading/launcher.py), opens one `Course` (grading/gradebook.py:
nbgrader's API and one gradebook connection) that every step uses, and hands a submission from
step to step as the small types of grading/stages.py (`Submission` -> `Executed` -> `Result`):

1. plan (here): who needs grading. A student is graded when they have no record, their submission
   or the assignment's source/ changed since, or a regrade is due (`force` and `only` mark it due
   first, so an interrupted regrade resumes where it stopped);
2. prepare (grading/prepare.py, here, trusted): check each notebook is readable and sanitise it
   with nbgrader's own preprocessors;
3. execute (grading/work.py, a worker process per core, one torch thread each; or the workers of a
   Dask cluster: grading/fanout.py), once a probe kernel, set up as a student's, has shown that the
   grader itself works (else the run stops, nobody blamed): the kernel runs in a bubblewrap sandbox
   with timeouts and resource caps, and is shut down as soon as its notebook is done, so live
   kernels never outnumber the workers (grading/sandbox.py). The kernels' test cells only publish
   observations; the instructor's solution is run the same way once per assignment (the
   reference, cached: grading/reference.py), and a solution that fails its own tests stops the
   run before anyone is recorded;
4. record (grading/record.py, here, one student at a time): each test is judged against the
   reference, outside the kernel (grading/verdict.py), and the autograded notebook, the scores and
   the student's record go into autograded/ and the gradebook in one transaction.

A run killed at any point and started again finishes the class with the same scores. Ctrl-C or
SIGTERM stops handing out students, kills the running kernels, records nothing half-done and exits
within seconds; a second one exits at once.
Statuses: `graded`, `error: <why>`, `timeout: <why>`, `limit: <what ran out>` (grading/status.py).
"""
import contextlib
import dataclasses
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from . import course as mod_course
from . import launcher, fanout, prepare, record, records, reference, release, status, work
from . import outcome as heldout
from .gradebook import Course
from .settings import Settings
from .stages import Executed, Result

class Interrupted(mod_course.GradingError):
    """The run was stopped by Ctrl-C or SIGTERM; what was recorded stays, the rest is not."""


def plan(course, name, only=None, force=False):
    """Return (students to grade, all selected students, {student: (submission hash, tests hash)})
    for `name` in `course` (the run's Course).

    Marks the selection due first when `force` or `only` (committed, so a stopped regrade resumes)."""
    root = course.root
    everyone = mod_course.students(root, name)
    if only:
        unknown = sorted(set(only) - set(everyone))
        if unknown:
            raise mod_course.GradingError(f"no submission of {name} for {', '.join(unknown)} in {root / 'submitted'}")
        everyone = [s for s in everyone if s in only]
    tests = records.tests_hash(root, name)
    hashes = {s: (prepare.submission_hash(root, name, s), tests) for s in everyone}
    with course.gradebook() as gb:
        if force or only:
            records.mark_due(gb.db, name, everyone)
            gb.db.commit()
        known = records.read(gb.db, name).get(name, {})
    todo = [s for s in everyone if s not in known or known[s].due
            or (known[s].submission_hash, known[s].tests_hash) != prepare.stored(hashes[s])]
    return todo, everyone, hashes


def grade(root, name, settings=None, out=print, progress=True, only=None):
    """Grade the submissions of `name` under `root` that need it (or the students in `only`);
    return {student: status} for this run."""
    settings = settings or Settings()
    root = Path(root).resolve()
    mod_course.require_class(root, name)
    settings = dataclasses.replace(settings, launcher=launcher.choose(settings, out))   # once, here
    with Course(root) as course:
        return _grade(course, name, settings, out, progress, only)


def _grade(course, name, settings, out, progress, only):
    """`grade`, with the run's Course (one nbgrader API, one gradebook connection)."""
    from . import restore
    root = course.root
    release.ensure_in_gradebook(course, name)
    todo, everyone, hashes = plan(course, name, only, settings.force)
    if len(todo) < len(everyone):
        out(f"{len(everyone) - len(todo)} of {len(everyone)} {mod_course.plural(len(everyone), 'student')} "
            f"already graded against these tests and submissions (FORCE=1 regrades them all, STUDENT=id one)")
    if not todo:
        return {}
    held = heldout.load(root, name)   # the hidden sets: their inputs go to kernels, their targets never
    held_files = held.files()
    ref_key = reference.key(root, name, held.fingerprint)   # once: the reference is cached under what was graded
    ref = reference.load(course, name, ref_key)
    results = {}
    run_dir = work.make_run_dir(settings.scratch)
    pool = None
    # Local workers share this run's scratch folder; Dask workers use scratch folders of their own.
    here = None if settings.scheduler else str(run_dir)

    def kill_workers():
        """Stop every worker at once (local ones die, taking their sandboxes; Dask tasks are cancelled)."""
        if pool is not None:
            pool.kill()
        shutil.rmtree(run_dir, ignore_errors=True)

    started = time.perf_counter()
    bar = _progress(len(todo), progress, "preparing")
    try:
        with _Signals(kill_workers) as signals:
            pool = (fanout.DaskPool(settings.scheduler) if settings.scheduler
                    else fanout.LocalPool(settings.workers, work.worker_init))
            probe = pool.submit(work.probe_kernel, str(root), settings, here)
            source_files = {**prepare.input_files(root / "source" / name), **held_files}
            pending_ref = None if ref is not None else pool.submit(
                work.run_reference, str(root), reference.source_notebooks(root, name), source_files, settings, here)
            # Each student goes to the workers as soon as they are prepared.
            futures, prepared = {}, {}
            snapshot = restore.Snapshot.of(course, name)
            for student in todo:
                submission = prepared[student] = prepare.prepare_one(course, name, student, snapshot, hashes[student])
                if submission.ready:
                    futures[pool.submit(work.execute, str(root), submission.task(), source_files, settings, here)] = student
                bar.update(1)
            prepare.say_ignored(root, name, todo, out)
            _require_working_kernel(probe, settings, kill_workers)
            if pending_ref is not None:
                ref = reference.accept(course, name, ref_key, *_reference_run(pending_ref), kill_workers, held)
            ref = heldout.attach(ref, held)   # in memory only: the targets the outcome checks are scored with
            for student, submission in prepared.items():
                if not submission.ready:
                    with signals.hold():
                        results[student] = record.record_one(course, Result.of(submission))
            bar.reset(total=len(futures))
            bar.set_description("grading")
            for future in pool.as_completed(futures):
                submission = prepared[futures[future]]
                with signals.hold():
                    try:
                        result = Result.of(submission, future.result())
                    except Exception as err:  # the grader's own failure: reported now, retried next run
                        crashed = status.error(f"grading crashed: {type(err).__name__}: {err}")
                        result = Result.of(submission, Executed(problems={k: crashed for k in submission.notebooks}),
                                           final=False)
                    results[submission.student] = record.record_one(course, result, ref)
                bar.update(1)
    except Interrupted as stop:
        bar.close()
        kill_workers()
        raise Interrupted(
            f"interrupted by {stop}: {len(results)} of {len(todo)} {mod_course.plural(len(todo), 'student')} "
            f"graded and recorded in this run, the rest not recorded; run the same command again "
            f"(without FORCE) to finish: students already graded are kept") from None
    finally:
        if pool is not None:
            pool.shutdown()
        shutil.rmtree(run_dir, ignore_errors=True)
    bar.close()
    graded = len(results)
    out(f"graded {graded} {mod_course.plural(graded, 'submission')} of {name} in "
        f"{time.perf_counter() - started:.1f} s with {settings.workers} {mod_course.plural(settings.workers, 'worker')} "
        f"(kernels: {settings.launcher})")
    return results


def _require_working_kernel(probe, settings, stop):
    """Wait for the probe kernel (`work.probe_kernel`); when it did not work, the grader's own
    failure, `stop` the workers and stop the run, no student blamed."""
    try:
        why = probe.result()
    except Exception as err:   # the probe itself could not run: the grader's failure too
        why = f"{type(err).__name__}: {err}"
    if why:
        stop()
        raise mod_course.GradingError(
            f"the grader could not set up a working kernel, so no student was graded: {why}. "
            f"Check that bubblewrap works, that the memory cap (--memory-mb, now "
            f"{settings.memory_mb}) leaves room for torch, and that the course environment "
            f"is installed from this checkout ({mod_course.REPO}: `make venv`)")


def _reference_run(pending):
    """(executed notebooks, problems) of the reference run (`work.run_reference`), a failed task
    being a problem."""
    try:
        return pending.result()
    except Exception as err:
        return {}, [f"the reference run failed: {type(err).__name__}: {err}"]


class _Signals:
    """Turns the first Ctrl-C or SIGTERM into `Interrupted` (deferred while a student is being
    recorded); a second one runs `on_second` and exits at once."""

    def __init__(self, on_second):
        self.on_second, self.count, self.held, self.pending = on_second, 0, False, None
        self.previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame):
        self.count += 1
        name = signal.Signals(signum).name
        if self.count > 1:
            self.on_second()
            os._exit(128 + signum)
        if self.held:
            self.pending = name
            return
        raise Interrupted(name)

    @contextlib.contextmanager
    def hold(self):
        self.held = True
        try:
            yield
        finally:
            self.held = False
        if self.pending:
            raise Interrupted(self.pending)


def _progress(total, enabled, desc):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="student", disable=not enabled or total == 0)
