"""Grade a whole class in parallel, each submission isolated: `make grade A=<assignment>`.

For every student with submitted/<student>/<assignment>/ that needs grading (see below):

1. prepare (here, trusted): check each notebook is readable; run nbgrader's own sanitising
   preprocessors (clear outputs, restore the kernelspec, overwrite locked and test cells from
   the gradebook, add back deleted test cells) and put the graded cells back in the order of the
   student copy in release/;
2. execute (a worker process per core, one torch thread each), once a probe kernel, set up as a
   student's, has shown that the grader itself works (else the run stops, nobody blamed): the kernel runs in a bubblewrap
   sandbox with timeouts and resource caps, and is shut down as soon as its notebook is done, so
   live kernels never outnumber the workers (see grading/sandbox.py);
   The kernels' test cells only publish observations; the instructor's solution is run the same
   way once per assignment (the reference, cached: grading/reference.py), and a solution that
   fails its own tests stops the run before anyone is recorded;
3. record (here, one student at a time): each test is judged against the reference, here,
   outside the kernel (grading/verdict.py); the autograded notebook is written to a temporary
   folder and renamed into autograded/; the scores (manual grades and comments kept) and the
   student's record (status, submission hash, tests hash: grading/records.py) go into the
   gradebook's database in one transaction.

A student is graded when they have no record, their submission or the assignment's source/
changed since, or a regrade is due (`force` and `only` mark it due first, so an interrupted
regrade resumes where it stopped). A run killed at any point and started again finishes the class
with the same scores. Ctrl-C or SIGTERM stops handing out students, kills the running kernels,
records nothing half-done and exits within seconds; a second one exits at once.
Statuses: `graded`, `error: <why>`, `timeout: <why>`, `limit: <what ran out>`.
"""
import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat

from . import cells, cgroup, course, fanout, late, records, reference, release, sandbox, status, submission, verdict
from . import outcome as heldout   # (record() has a local `outcome`: the student's status)
from .sandbox import Limits


@dataclass
class Settings:
    workers: int = os.cpu_count() or 1
    cell_timeout: int = 60          # seconds for one cell
    notebook_timeout: int = 600     # seconds for a whole notebook
    memory_mb: int = 4096           # address-space cap of the kernel
    max_output_bytes: int = 200_000  # captured output kept per cell
    max_notebook_bytes: int = 16 * 2**20   # and per notebook (display updates and widget state included)
    force: bool = False
    sandbox: bool = True
    preimport: bool = True          # fork kernels from a zygote that has imported torch (as root)
    limits: Limits = field(default_factory=Limits)   # disk, /tmp, processes, CPU
    scratch: str = None             # parent of the run's scratch folder (default: the temp dir)
    scheduler: str = None           # a Dask scheduler's address: grade on its workers (grading/fanout.py)

    def kernel_limits(self):
        return replace(self.limits, memory_mb=self.memory_mb)


class Interrupted(course.GradingError):
    """The run was stopped by Ctrl-C or SIGTERM; what was recorded stays, the rest is not."""


def _resources(api, name, student, notebook):
    return {"nbgrader": {"student": student, "assignment": name, "notebook": notebook,
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


def prepare(root, name, student, api=None, snapshot=None):
    """Return ({notebook id: sanitised notebook}, {notebook id: problem}) for one submission.

    `snapshot` is the gradebook's copy of the assignment's cells (`restore.Snapshot`), read once
    per run; without one it is read here. A submission holding a link, FIFO, device or socket (at
    any depth) or a malformed timestamp.txt is refused whole (its problem under ''); a notebook
    is read without following a link and checked (`course.read_notebook`: at most
    `course.MAX_CELLS` cells) before nbgrader's preprocessors see it."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    from nbgrader.preprocessors import DeduplicateIds, OverwriteKernelspec

    from . import restore
    root = Path(root)
    api = api or course.nbgrader_api(root)
    snapshot = snapshot or restore.Snapshot(api.coursedir.db_url, api.coursedir.course_id, name)
    ready, problems = {}, {}
    folder = root / "submitted" / student / name
    refused = submission.refused(folder)
    if refused:
        listed = ", ".join(f"{path} ({what})" for path, what in list(refused.items())[:3])
        return {}, {"": status.error(f"the submission holds what is not a file: {listed}; "
                                     f"a submission is files and folders only")}
    try:
        late.submission_time(folder)
    except late.BadTimestamp as err:
        return {}, {"": status.error(str(err))}
    for source_path in sorted((root / "source" / name).glob("*.ipynb")):
        notebook = source_path.stem
        path = folder / source_path.name
        if not path.exists():
            problems[notebook] = status.error(f"missing notebook {source_path.name}")
            continue
        nb, why = course.read_notebook(path)
        if why:
            problems[notebook] = status.error(f"{source_path.name} is {why}")
            continue
        resources = _resources(api, name, student, notebook)
        release = root / "release" / name / source_path.name
        release_nb = nbformat.read(release, as_version=4) if release.exists() else None   # the course's: not blamed
        try:
            for pp in (ClearOutputPreprocessor(), DeduplicateIds(), OverwriteKernelspec(),
                       restore.RestoreCells(snapshot, config=api.coursedir.config, add_missing_cells=True),
                       restore.CheckMetadata()):
                nb, resources = pp.preprocess(nb, resources)
            if release_nb is not None:
                nb = _canonical_order(nb, release_nb)
        except Exception as err:  # tampered metadata and the like: this student only
            problems[notebook] = status.error(f"{source_path.name} could not be prepared: {str(err).splitlines()[0][:160] if str(err) else type(err).__name__}")
            continue
        ready[notebook] = nb
    return ready, problems


def _worker_init():
    """Worker initialiser: die when the grading process's forkserver dies (even by SIGKILL);
    leave Ctrl-C and SIGTERM to the grading process, which stops the workers itself."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


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
            raise course.GradingError(f"the files beside the notebooks in {folder} exceed "
                                      f"{MAX_INPUT_BYTES // 2**20} MB")
        files[relative] = submission.read(Path(folder) / relative)
    return files


_own_run_dir = None


def _worker_run_dir(run_dir):
    """`run_dir`, or (on a Dask worker, which has none from the grader) a scratch folder of this
    worker process's own, created once."""
    global _own_run_dir
    if run_dir is not None:
        return run_dir
    if _own_run_dir is None or not Path(_own_run_dir).is_dir():
        _own_run_dir = _run_dir(None)
    return _own_run_dir


PROBE = "import numpy, torch, matplotlib, helpers, helpers.checks\nprint('grader probe: ok')"


def _run_sandboxed(nb, root, settings, run_dir, files=None):
    """Run `nb` (in place) in a fresh scratch folder of `run_dir` whose working folder holds
    `files` ({relative path: bytes}); return None or the problem (a Status)."""
    scratch = Path(tempfile.mkdtemp(dir=_worker_run_dir(run_dir)))   # short: the kernel's sockets live below it
    try:
        inputs = scratch / "inputs"
        inputs.mkdir()
        for relative, data in (files or {}).items():
            target = inputs / relative
            if inputs.resolve() not in target.resolve().parents:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(scratch, 0o711)
        return sandbox.run_notebook(
            nb, scratch, inputs, cell_timeout=settings.cell_timeout,
            notebook_timeout=settings.notebook_timeout, limits=settings.kernel_limits(),
            max_output_bytes=settings.max_output_bytes, max_notebook_bytes=settings.max_notebook_bytes,
            sandbox=settings.sandbox,
            preimport=settings.preimport and sandbox.preimport_available())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def probe_kernel(root, settings, run_dir=None):
    """Worker: run a one-cell notebook that imports what every assignment needs, in a sandbox set
    up exactly as a student's; return '' when the kernel works, else what went wrong."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    problem = _run_sandboxed(nb, root, settings, run_dir)
    outputs = nb.cells[0].get("outputs", [])
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    if problem or errors:
        return "; ".join([str(problem)] * bool(problem) + errors)
    if "grader probe: ok" not in "".join(o.get("text", "") for o in outputs):
        return "the probe notebook printed nothing"
    return ""


def reference_notebooks(root, name):
    """{notebook: the instructor's notebook with its outputs cleared}, as the reference run needs it."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    return {path.stem: dict(ClearOutputPreprocessor().preprocess(nbformat.read(path, as_version=4), {})[0])
            for path in sorted((Path(root) / "source" / name).glob("*.ipynb"))}


def run_reference(root, notebooks, files, settings, run_dir=None):
    """Worker: run the instructor's notebooks (solutions and hidden tests) in a sandbox set up as a
    student's; return ({notebook: executed notebook}, [problems])."""
    done, problems = {}, []
    for notebook, data in notebooks.items():
        nb = nbformat.from_dict(data)
        problem = _run_sandboxed(nb, root, settings, run_dir, files)
        if problem:
            problems.append(f"{notebook}.ipynb: {problem}")
        done[notebook] = nb
    return done, problems


def execute(root, notebooks, files, settings, run_dir=None):
    """Worker: run each prepared notebook of one submission in its own sandbox, its working folder
    holding `files`; return ({id: notebook}, {id: problem})."""
    done, problems = {}, {}
    for notebook, data in notebooks.items():
        nb = nbformat.from_dict(data)
        problem = _run_sandboxed(nb, root, settings, run_dir, files)
        done[notebook] = nb
        if problem:
            problems[notebook] = problem
    return done, problems


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


@contextlib.contextmanager
def _transaction(gb):
    """One student's transaction on a gradebook that records the whole run: rolled back if
    anything fails, so the next student starts clean."""
    try:
        yield gb
    except BaseException:
        gb.db.rollback()
        raise


def record(root, name, student, notebooks, problems, final=True, api=None, hashes=None, ref=None, gb=None):
    """Save one student's results: autograded files, then scores and record in one transaction
    (no record unless `final`: a crash of the grader itself is retried by the next run).

    `hashes` is (submission hash, tests hash) as read before grading began; `ref` the reference
    observations ({notebook: {grade_id: [observation]}}) the test cells are judged against; `gb`
    an open Gradebook the run records every student with (one connection, whose compiled
    statements are reused: 34 ms a student instead of 79), else one is opened here."""
    from nbgrader import utils
    from nbgrader.api import Gradebook

    root = Path(root)
    api = api or course.nbgrader_api(root)
    hashes = hashes or (records.submission_hash(root, name, student), records.tests_hash(root, name))
    verdicts = {notebook: apply_verdicts(nb, (ref or {}).get(notebook, {})) for notebook, nb in notebooks.items()}
    try:
        timestamp = late.submission_time(root / "submitted" / student / name)
    except late.BadTimestamp:   # already this student's problem (prepare): no time, no penalty
        timestamp = None
    outcome = str(status.combine(problems))
    with records.exclusive(api.coursedir.db_url, records.student_key(name, student)), \
            (Gradebook(api.coursedir.db_url, api.coursedir.course_id) if gb is None else _transaction(gb)) as gb:
        _write_autograded(root, name, student, notebooks, timestamp)
        gb.update_or_create_student(student)
        if timestamp:
            submission = gb.update_or_create_submission(name, student, timestamp=timestamp)
        else:
            submission = gb.update_or_create_submission(name, student)
        for sub_nb in submission.notebooks:
            nb = notebooks.get(sub_nb.name)
            by_id = {cells.grade_id(c): c for c in nb.cells if cells.grade_id(c)} if nb is not None else {}
            judged = verdicts.get(sub_nb.name, {})
            for grade in sub_nb.grades:
                cell = by_id.get(grade.name)
                if cell is None:          # the notebook is missing or broken: nothing earns points
                    grade.auto_score, grade.needs_manual_grade = 0, False
                    continue
                if grade.name in judged:  # decided here, from the observations
                    grade.auto_score = round(grade.max_score * judged[grade.name].fraction, 2)
                else:                     # a written answer: graded by hand
                    grade.auto_score, _ = utils.determine_grade(cell)
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in sub_nb.comments:
                cell = by_id.get(comment.name)
                unchanged = cell is not None and cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
                comment.auto_comment = "No response." if unchanged or cell is None else None
        late.apply(api, gb, submission)   # issue 17: the configured late penalty, same transaction
        if final:
            records.write(gb.db, name, student, outcome, *hashes)
        gb.db.commit()
    return outcome


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


def plan(root, name, only=None, force=False):
    """Return (students to grade, all selected students, {student: (submission hash, tests hash)}).

    Marks the selection due first when `force` or `only` (committed, so a stopped regrade resumes)."""
    from nbgrader.api import Gradebook
    everyone = course.students(root, name)
    if only:
        unknown = sorted(set(only) - set(everyone))
        if unknown:
            raise course.GradingError(f"no submission of {name} for {', '.join(unknown)} in {Path(root) / 'submitted'}")
        everyone = [s for s in everyone if s in only]
    tests = records.tests_hash(root, name)
    hashes = {s: (_submission_hash(root, name, s), tests) for s in everyone}
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        if force or only:
            records.mark_due(gb.db, name, everyone)
            gb.db.commit()
        known = records.read(gb.db, name).get(name, {})
    todo = [s for s in everyone if s not in known or known[s].due
            or (known[s].submission_hash, known[s].tests_hash) != _stored(hashes[s])]
    return todo, everyone, hashes


# What one student's files can make fail is that student's problem; these are the grader's own
# (its database, its disk, a stopped run) and stop the run, nobody blamed.
def _graders_own(err):
    from sqlalchemy.exc import SQLAlchemyError
    return isinstance(err, (course.GradingError, SQLAlchemyError, OSError))


def _blame(err, step):
    """The status of a student whose submission made `step` fail with `err`."""
    text = str(err).splitlines()[0][:160] if str(err) else ""
    return status.error(f"the submission could not be {step}: {type(err).__name__}" + (f": {text}" if text else ""))


def _submission_hash(root, name, student):
    """The student's submission hash, or the exception reading their files raised (their problem:
    `grade` records it as their status)."""
    try:
        return records.submission_hash(root, name, student)
    except Exception as err:
        if _graders_own(err) and not isinstance(err, (RecursionError, PermissionError)):
            raise
        return err


def _stored(pair):
    """(submission hash, tests hash) as recorded: an unreadable submission's hash is 'unreadable'."""
    return ("unreadable", pair[1]) if isinstance(pair[0], Exception) else pair


def _prepare_one(root, name, student, api, snapshot):
    """`prepare`, where anything the submission makes fail is that student's error."""
    try:
        return prepare(root, name, student, api, snapshot)
    except Exception as err:
        if _graders_own(err):
            raise
        return {}, {"": _blame(err, "prepared")}


def _record_one(root, name, student, notebooks, problems, **kwargs):
    """`record`, where anything the submission makes fail (its notebooks, its outputs) records
    that student as an error instead, with no score; the grader's own failures stop the run."""
    try:
        return record(root, name, student, notebooks, problems, **kwargs)
    except Exception as err:
        if _graders_own(err):
            raise
        kwargs.pop("ref", None)
        return record(root, name, student, {}, {**problems, "": _blame(err, "recorded")}, **kwargs)


def _say_ignored(root, name, students, out):
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
            f"{course.plural(len(found), 'submission')} (only source/{name}'s files reach a kernel): {listed}")


def grade(root, name, settings=None, out=print, progress=True, only=None):
    """Grade the submissions of `name` under `root` that need it (or the students in `only`);
    return {student: status} for this run."""
    from nbgrader.api import Gradebook

    from . import restore
    settings = settings or Settings()
    root = Path(root).resolve()
    course.require_class(root, name)
    if settings.sandbox and not sandbox.bwrap_available():
        raise course.GradingError(
            "bubblewrap (bwrap) is needed to isolate submissions: `apt-get install bubblewrap`; "
            "or grade without isolation, only notebooks you trust, with SANDBOX=0 (--no-sandbox)")
    if settings.sandbox and not cgroup.available():
        out("note: cgroups need root: each kernel's memory and processes are capped per process here, "
            "not per sandbox, and kernels share the grader's uid")
    release.ensure_in_gradebook(root, name)
    todo, everyone, hashes = plan(root, name, only, settings.force)
    if len(todo) < len(everyone):
        out(f"{len(everyone) - len(todo)} of {len(everyone)} {course.plural(len(everyone), 'student')} "
            f"already graded against these tests and submissions (FORCE=1 regrades them all, STUDENT=id one)")
    if not todo:
        return {}
    api = course.nbgrader_api(root)
    held = heldout.load(root, name)   # the hidden sets: their inputs go to kernels, their targets never
    held_files = held.files()
    ref_key = reference.key(root, name, held.fingerprint)   # once: the reference is cached under what was graded
    ref = load_reference(root, name, ref_key)
    results = {}
    run_dir = _run_dir(settings.scratch)
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
        with _Signals(kill_workers) as signals, contextlib.ExitStack() as stack:
            pool = (fanout.DaskPool(settings.scheduler) if settings.scheduler
                    else fanout.LocalPool(settings.workers, _worker_init))
            probe = pool.submit(probe_kernel, str(root), settings, here)
            source_files = {**input_files(root / "source" / name), **held_files}
            pending_ref = None if ref is not None else pool.submit(
                run_reference, str(root), reference_notebooks(root, name), source_files, settings, here)
            # Each student goes to the workers as soon as they are prepared.
            futures, prepared, broken = {}, {}, {}
            snapshot = restore.Snapshot(api.coursedir.db_url, api.coursedir.course_id, name)
            for student in todo:
                if isinstance(hashes[student][0], Exception):   # its files could not be read
                    ready, problems = {}, {"": _blame(hashes[student][0], "read")}
                else:
                    ready, problems = _prepare_one(root, name, student, api, snapshot)
                (prepared if ready else broken)[student] = (ready, problems)
                if ready:
                    futures[pool.submit(execute, str(root), {k: dict(v) for k, v in ready.items()},
                                        source_files, settings, here)] = student
                bar.update(1)
            _say_ignored(root, name, todo, out)
            try:
                why = probe.result()
            except Exception as err:   # the probe itself could not run: the grader's failure too
                why = f"{type(err).__name__}: {err}"
            if why:   # the grader's own failure: no student is blamed for it
                kill_workers()
                raise course.GradingError(
                    f"the grader could not set up a working kernel, so no student was graded: {why}. "
                    f"Check that bubblewrap works, that the memory cap (--memory-mb, now "
                    f"{settings.memory_mb}) leaves room for torch, and that the course environment "
                    f"is installed from this checkout ({course.REPO}: `make venv`)")
            if pending_ref is not None:
                try:
                    ran = pending_ref.result()
                except Exception as err:
                    ran = ({}, [f"the reference run failed: {type(err).__name__}: {err}"])
                ref = _reference_from(root, name, ref_key, *ran, kill_workers, held)
            ref = heldout.attach(ref, held)   # in memory only: the targets the outcome checks are scored with
            gb = stack.enter_context(Gradebook(api.coursedir.db_url, api.coursedir.course_id))
            for student, (_, problems) in broken.items():
                with signals.hold():
                    results[student] = _record_one(root, name, student, {}, problems, api=api,
                                                   hashes=_stored(hashes[student]), gb=gb)
            bar.reset(total=len(prepared))
            bar.set_description("grading")
            for future in pool.as_completed(futures):
                student = futures[future]
                ready, problems = prepared[student]
                with signals.hold():
                    try:
                        done, run_problems = future.result()
                        final = True
                    except Exception as err:  # the grader's own failure: reported now, retried next run
                        done, run_problems = {}, {k: status.error(f"grading crashed: {type(err).__name__}: {err}") for k in ready}
                        final = False
                    results[student] = _record_one(root, name, student, done, {**problems, **run_problems},
                                                   final=final, api=api, hashes=hashes[student], ref=ref, gb=gb)
                bar.update(1)
    except Interrupted as stop:
        bar.close()
        kill_workers()
        raise Interrupted(
            f"interrupted by {stop}: {len(results)} of {len(todo)} {course.plural(len(todo), 'student')} "
            f"graded and recorded in this run, the rest not recorded; run the same command again "
            f"(without FORCE) to finish: students already graded are kept") from None
    finally:
        if pool is not None:
            pool.shutdown()
        shutil.rmtree(run_dir, ignore_errors=True)
    bar.close()
    graded = len(results)
    out(f"graded {graded} {course.plural(graded, 'submission')} of {name} in "
        f"{time.perf_counter() - started:.1f} s with {settings.workers} {course.plural(settings.workers, 'worker')}")
    return results


def load_reference(root, name, key):
    """The cached reference observations of `name` under `key`, or None."""
    from nbgrader.api import Gradebook
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        return records.reference(gb.db, name, key)


def _reference_from(root, name, key, notebooks, problems, stop, held=None):
    """Check and cache the reference run's observations; a solution that fails its own tests
    stops the run (`stop` kills the workers) before any student is recorded. Cached under `key`."""
    from nbgrader.api import Gradebook
    ref, faults = reference.from_run({k: nbformat.from_dict(v) for k, v in notebooks.items()}, held)
    if problems or faults:
        stop()
        raise course.GradingError(
            f"the instructor's solution of {name} could not serve as the reference, so no student was "
            f"graded: " + "; ".join(problems + faults))
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        records.set_reference(gb.db, name, key, ref)
        gb.db.commit()
    return ref


# A unix socket's path holds at most 107 bytes; the kernel's are <run>/<8 chars>/ipc/k-<port>.
SOCKET_PATH_MAX = 107


def _run_dir(parent):
    """This run's scratch folder, reachable by the kernels' own uids; refused (before any student
    is graded) where its path leaves no room for the kernels' socket names."""
    parent = Path(parent or tempfile.gettempdir())
    if len(str(parent)) + len("/gr-xxxxxxxx/xxxxxxxx/ipc/k-65535") > SOCKET_PATH_MAX:
        raise course.GradingError(f"the scratch folder {parent} has too long a path for the kernels' "
                                  f"sockets: set TMPDIR to a shorter one (e.g. TMPDIR=/tmp)")
    for stale in parent.glob("gr-*"):   # left by a grader that was killed (SIGKILL cannot clean up)
        with contextlib.suppress(OSError, ValueError):
            if not _alive(int((stale / "grader.pid").read_text())):
                shutil.rmtree(stale, ignore_errors=True)
    run_dir = Path(tempfile.mkdtemp(prefix="gr-", dir=parent))
    (run_dir / "grader.pid").write_text(str(os.getpid()))
    os.chmod(run_dir, 0o711)   # the kernels run as uids of their own
    return run_dir


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _progress(total, enabled, desc):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="student", disable=not enabled or total == 0)
