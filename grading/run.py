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
   with timeouts and resource caps, and is killed as soon as its notebook is done, so live
   kernels never outnumber the workers (grading/sandbox.py). The kernels' test cells only publish
   observations; the instructor's solution is run the same way once per assignment (the
   reference, cached: grading/reference.py), and a solution that fails its own tests stops the
   run before anyone is recorded. A task the grader itself failed (a worker lost or restarted, a
   grading process or sandbox killed by a signal nobody in the run sent) is submitted again,
   `ATTEMPTS` in all, the probe and the reference run included; only a failure on every attempt
   is reported, as the grader's own;
4. record (grading/record.py, here, one student at a time): each test is judged against the
   reference, outside the kernel (grading/verdict.py), and the autograded notebook, the scores and
   the student's record go into autograded/ and the gradebook in one transaction.

A run killed at any point and started again finishes the class with the same scores. Ctrl-C or
SIGTERM stops handing out students, kills the running kernels, records nothing half-done and exits
within seconds; a second one exits at once.
Statuses: `graded`, `error: <why>`, `timeout: <why>`, `limit: <what ran out>` (grading/status.py).
"""
import asyncio
import concurrent.futures
import concurrent.futures.process
import contextlib
import dataclasses
import os
import queue
import shutil
import signal
import threading
import time
from pathlib import Path

from . import course as mod_course
from . import cgroup, clusters, launcher, fanout, prepare, record, records, reference, release, status, work
from . import outcome as heldout
from .gradebook import Course
from .settings import Settings
from .stages import Executed, Result

def extras(root, name):
    """What the kernels' template imports for `name` beyond what every assignment needs: what its
    source notebooks and files mention (grading/zygote.py: `EXTRAS`)."""
    from .zygote import extras_for
    folder = Path(root) / "source" / name
    texts = [path.read_text(errors="replace") for pattern in ("*.ipynb", "*.py") for path in sorted(folder.rglob(pattern))]
    return extras_for(texts)


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


def grade(root, name, settings=None, out=print, progress=True, only=None, timings=None):
    """Grade the submissions of `name` under `root` that need it (or the students in `only`);
    return {student: status} for this run. A `timings` dict receives the seconds of each step
    summed over the students run ("prepare", "execute", "execute.<step>", "record": `Result.timings`),
    "students", "wall", and the seconds from the start until the plan was made, the probe was
    handed to a worker, every student was prepared, the probe kernel worked, the reference was
    ready and every student was recorded ("until.planned", "until.pool", "until.prepared",
    "until.probe", "until.reference", "until.graded"; benchmarks/grading_speed.py prints them)."""
    settings = settings or Settings()
    root = Path(root).resolve()
    mod_course.require_class(root, name)
    settings = dataclasses.replace(settings, launcher=launcher.choose(settings, out),   # once, here
                                   preload=extras(root, name) if settings.preload is None else settings.preload)
    with Course(root) as course:
        return _grade(course, name, settings, out, progress, only, {} if timings is None else timings)


def _grade(course, name, settings, out, progress, only, timings):
    """`grade`, with the run's Course (one nbgrader API, one gradebook connection)."""
    started = time.perf_counter()
    # First the run's scratch folder, the kernels' template and the local workers' forkserver:
    # their imports (about 2.5 s and 0.3 s of CPU) then overlap the planning and the preparation,
    # instead of following them. Local workers share the scratch folder and fork their kernels from
    # that template; Dask workers use scratch folders and templates of their own.
    run_dir = work.make_run_dir(settings.scratch)
    template = pool = None
    try:
        if not settings.scheduler and settings.launcher == launcher.ZYGOTE:
            from .kernel import Shared
            template = Shared(run_dir, settings.preload)
        if not settings.scheduler:
            pool = fanout.LocalPool(settings.workers, work.worker_init,
                                    ((template.path, template.extras),) if template else ())
        return _grade_in(course, name, settings, out, progress, only, timings, started, run_dir, template, pool)
    finally:
        if pool is not None:
            pool.shutdown()
        if template is not None:
            template.close()
        _remove_sandboxes(run_dir)


def _remove_sandboxes(run_dir):
    """Remove the run's scratch folder, once what is left of its sandboxes is gone: a killed worker's
    sandboxes die with it (bubblewrap's --die-with-parent), but not at once, and not one its worker
    started a moment before it was killed (bubblewrap has not yet asked to die with it); their
    cgroups are the worker's to remove, so they would be left too."""
    cgroup.remove_below(run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)


def _grade_in(course, name, settings, out, progress, only, timings, started, run_dir, template, pool):
    """`_grade`, once the scratch folder `run_dir`, the `template` and the local `pool` (None for Dask)
    have started."""
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
    here = None if settings.scheduler else str(run_dir)

    def kill_workers():
        """Stop every worker at once (local ones die, taking their sandboxes; Dask tasks are cancelled)."""
        if pool is not None:
            pool.kill()
        if template is not None:
            template.kill()
        _remove_sandboxes(run_dir)

    timings["until.planned"] = time.perf_counter() - started
    bar = _progress(len(todo), progress, "preparing")
    try:
        with _Signals(kill_workers) as signals:
            if pool is None:
                pool = fanout.DaskPool(settings.scheduler)
            tasks = _Tasks(pool)
            probe = tasks.submit("probe", work.probe_kernel, str(root), settings, here)
            timings["until.pool"] = time.perf_counter() - started
            source_files = {**prepare.input_files(root / "source" / name), **held_files}
            if ref is None:
                tasks.submit("reference", work.run_reference, str(root), reference.source_notebooks(root, name),
                             source_files, settings, here)
            # Each student goes to the workers as soon as they are prepared.
            prepared = {}
            snapshot = restore.Snapshot.of(course, name)
            for student in todo:
                submission = prepared[student] = prepare.prepare_one(course, name, student, snapshot, hashes[student])
                if submission.ready:
                    tasks.submit(("student", student), work.execute, str(root), submission.task(), source_files,
                                 settings, here, batch=True)
                bar.update(1)
            prepare.say_ignored(root, name, todo, out)
            timings["until.prepared"] = time.perf_counter() - started
            _require_working_kernel(tasks, probe, settings, kill_workers)
            timings["until.probe"] = time.perf_counter() - started
            if ref is None:
                ref = reference.accept(course, name, ref_key, *_reference_run(tasks), kill_workers, held)
            timings["until.reference"] = time.perf_counter() - started
            ref = heldout.attach(ref, held)   # in memory only: the targets the outcome checks are scored with
            for student, submission in prepared.items():
                if not submission.ready:
                    with signals.hold():
                        results[student] = record.record_one(course, Result.of(submission))
            bar.reset(total=sum(s.ready for s in prepared.values()))
            bar.set_description("grading")
            for (_, student), executed, err in tasks.completed():
                submission = prepared[student]
                with signals.hold():
                    if err is None:
                        result = Result.of(submission, executed)
                    else:   # the grader's own failure, every attempt: reported now, retried next run
                        crashed = status.error(f"grading crashed: {type(err).__name__}: {err}")
                        result = Result.of(submission, Executed(problems={k: crashed for k in submission.notebooks}),
                                           final=False)
                    results[submission.student] = record.record_one(course, result, ref)
                for step, seconds in result.timings.items():
                    timings[step] = timings.get(step, 0.0) + seconds
                timings["students"] = timings.get("students", 0) + 1
                bar.update(1)
            timings["until.graded"] = time.perf_counter() - started
            bar.close()   # the known mistakes for the report, on these warm workers, if asked or used before
            clusters.refresh(course, name, ref_key, ref, pool, source_files, settings, here, out, timings)
    except Interrupted as stop:
        bar.close()
        kill_workers()
        raise Interrupted(
            f"interrupted by {stop}: {len(results)} of {len(todo)} {mod_course.plural(len(todo), 'student')} "
            f"graded and recorded in this run, the rest not recorded; run the same command again "
            f"(without FORCE) to finish: students already graded are kept") from None
    finally:
        if settings.scheduler and pool is not None:
            pool.shutdown()
    bar.close()
    timings["wall"] = time.perf_counter() - started
    graded = len(results)
    out(f"graded {graded} {mod_course.plural(graded, 'submission')} of {name} in "
        f"{time.perf_counter() - started:.1f} s with {settings.workers} {mod_course.plural(settings.workers, 'worker')} "
        f"(kernels: {settings.launcher})")
    return results


# How often a task is tried when the grader itself failed it (a worker restarted or lost, a grading
# process or kernel killed by a signal the grader did not send): a failure on every attempt is the
# grader's, reported (the probe's and the reference's stop the run), never a student's.
ATTEMPTS = 3
FAILURES = (Exception, asyncio.CancelledError)   # (a cancelled Dask task: a BaseException)


class _Tasks:
    """The run's tasks on `pool`, each tried again (up to ATTEMPTS) when the grader failed it:
    `submit` under a name, `result` of one by name, `completed` yields the students' as they finish."""

    def __init__(self, pool):
        self.pool, self.calls, self.tries, self.futures = pool, {}, {}, {}
        self.done = queue.Queue()
        self.waiting = set()

    def submit(self, name, fn, *args, batch=False):
        """Start `fn(*args)` under `name`; a `batch` task may wait for others to go with it (a Dask
        pool's: `fanout.DaskPool.submit`) until the run waits for an answer."""
        self.calls[name] = (fn, args, batch)
        self.tries[name] = 0
        self.waiting.add(name)
        self._start(name)
        return name

    def _start(self, name):
        fn, args, batch = self.calls[name]
        self.tries[name] += 1
        try:
            future = self.pool.submit(fn, *args, batch=batch)
        except Exception as err:   # the pool itself is broken: nothing to retry on
            future = concurrent.futures.Future()
            future.set_exception(err)
        self.futures[name] = future
        future.add_done_callback(lambda f, name=name: self.done.put((name, f)))

    def _outcome(self, name, future):
        """(value, None), or (None, error) once every attempt failed; None when tried again."""
        if future is not self.futures.get(name):
            return None   # an earlier attempt's late news
        try:
            return future.result(), None
        except Interrupted:
            raise
        except FAILURES as err:
            if self.tries[name] < ATTEMPTS and _retryable(err):
                self._start(name)
                return None
            return None, err

    def result(self, name):
        """`name`'s value, tried again as needed; raises the last attempt's error."""
        future = self.futures[name]
        while True:
            self.pool.flush()
            try:
                value = future.result()
                break
            except Interrupted:
                raise
            except FAILURES as err:
                if self.tries[name] >= ATTEMPTS or not _retryable(err):
                    self.waiting.discard(name)
                    raise
                self._start(name)
                future = self.futures[name]
        self.waiting.discard(name)
        return value

    def retry(self, name):
        """Try `name` again (its last attempt's answer was the grader's failure); False when spent."""
        if self.tries[name] >= ATTEMPTS:
            return False
        self.waiting.add(name)
        self._start(name)
        return True

    def completed(self):
        """Yield (name, value, None) or (name, None, error) for each task still waited for, as each
        finishes (the probe and reference are taken by `result` first)."""
        while self.waiting:
            self.pool.flush()   # (a batch part-filled by the last students, or by retries)
            try:
                name, future = self.done.get(timeout=0.5)   # a timeout: Ctrl-C is handled while waiting
            except queue.Empty:
                continue
            if name not in self.waiting:
                continue
            outcome = self._outcome(name, future)
            if outcome is not None:
                self.waiting.discard(name)
                yield (name, *outcome)


def _retryable(err):
    """An error that is the grader's own and may pass on another attempt (every error a task raises
    is: a student's problems come back as statuses, not exceptions), unless the pool is broken."""
    return not isinstance(err, concurrent.futures.process.BrokenProcessPool)


def _require_working_kernel(tasks, probe, settings, stop):
    """Wait for the probe kernel (`work.probe_kernel`), tried again (ATTEMPTS in all) when it did
    not work; when it never did, the grader's own failure, `stop` the workers and stop the run, no
    student blamed."""
    whys = []
    while True:
        try:
            why = tasks.result(probe)
        except Interrupted:
            raise
        except FAILURES as err:   # the probe itself could not run: the grader's failure too
            why = f"{type(err).__name__}: {err}"
        if not why:
            return
        whys.append(why)
        if not tasks.retry(probe):
            break
    stop()
    raise mod_course.GradingError(
        f"the grader could not set up a working kernel in {len(whys)} attempts, so no student was graded: "
        f"{'; '.join(dict.fromkeys(whys))}. Check that bubblewrap works, that the memory cap (--memory-mb, now "
        f"{settings.memory_mb}) leaves room for torch, and that the course environment "
        f"is installed from this checkout ({mod_course.REPO}: `make venv`)")


def _reference_run(tasks):
    """(executed notebooks, problems) of the reference run (`work.run_reference`), a failed task
    being a problem once every attempt failed."""
    try:
        return tasks.result("reference")
    except Interrupted:
        raise
    except FAILURES as err:
        return {}, [f"the reference run failed in {tasks.tries['reference']} attempts: {type(err).__name__}: {err}"]


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
