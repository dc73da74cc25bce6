"""What a worker executes: a notebook run in a sandbox, one after another, in a worker process of
the grading machine or of a Dask worker (grading/fanout.py). A task receives plain data (notebooks
as dicts, the assignment's files as bytes, the `Settings`) and returns executed notebooks and
problems: nothing here reads the course folder or writes the gradebook, and nothing is judged
here (grading/record.py does that, in the grading process).

* `probe_kernel`: one notebook that imports what every assignment needs, so that a grader that
  cannot start a working kernel stops before any student is blamed;
* `run_reference`: the instructor's notebooks (grading/reference.py keeps what they observe);
* `execute`: one student's prepared notebooks, each in a sandbox of its own (grading/notebook.py).
"""
import contextlib
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import nbformat

from . import cgroup
from . import course
from . import launcher
from .notebook import run_notebook
from .stages import Executed


def worker_init(shared=None):
    """Worker initialiser: die when the grading process's forkserver dies (even by SIGKILL);
    leave Ctrl-C and SIGTERM to the grading process, which stops the workers itself; fork kernels
    from the grading process's template, `shared` ((socket path, extras): grading/kernel.py's
    `Shared`), when there is one."""
    from . import kernel
    kernel.share(shared)
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


_own_run_dir = None


def _worker_run_dir(run_dir):
    """`run_dir`, or (on a Dask worker, which has none from the grader) a scratch folder of this
    worker process's own, created once."""
    global _own_run_dir
    if run_dir is not None:
        return run_dir
    if _own_run_dir is None or not Path(_own_run_dir).is_dir():
        _own_run_dir = make_run_dir(None)
    return _own_run_dir


PROBE = "import numpy, torch, matplotlib, helpers, helpers.checks\nprint('grader probe: ok')"


def run_sandboxed(nb, root, settings, run_dir, files=None, task="student", timings=None):
    """Run `nb` (in place) in a fresh scratch folder of `run_dir` whose working folder holds
    `files` ({relative path: bytes}); return None or the problem (a Status). The scratch folder's
    `task` file says what runs there (probe, reference, student), for whoever inspects a worker."""
    begun = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(dir=_worker_run_dir(run_dir)))   # short: the kernel's sockets live below it
    try:
        (scratch / "task").write_text(task)   # outside the sandbox: no kernel sees it
        inputs = scratch / "inputs"
        inputs.mkdir()
        for relative, data in (files or {}).items():
            target = inputs / relative
            if inputs.resolve() not in target.resolve().parents:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(scratch, 0o711)
        if timings is not None:
            timings["sandbox"] = timings.get("sandbox", 0.0) + time.perf_counter() - begun
        return run_notebook(
            nb, scratch, inputs, cell_timeout=settings.cell_timeout,
            notebook_timeout=settings.notebook_timeout, limits=settings.kernel_limits(),
            max_output_bytes=settings.max_output_bytes, max_notebook_bytes=settings.max_notebook_bytes,
            launcher=_launcher(settings), timings=timings, extras=settings.preload)
    finally:
        cleaned = time.perf_counter()
        shutil.rmtree(scratch, ignore_errors=True)
        if timings is not None:
            timings["cleanup"] = timings.get("cleanup", 0.0) + time.perf_counter() - cleaned


def _launcher(settings):
    """The run's launcher (chosen once by the grading process); a Dask worker that cannot fork
    kernels (not root) starts them from scratch instead, as isolated (its probe runs the same way)."""
    chosen = settings.launcher or launcher.choose(settings, out=lambda *_: None)
    return launcher.BWRAP if chosen == launcher.ZYGOTE and not launcher.zygote_possible() else chosen


def probe_kernel(root, settings, run_dir=None):
    """Worker: run a one-cell notebook that imports what every assignment needs, in a sandbox set
    up exactly as a student's; return '' when the kernel works, else what went wrong."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    problem = run_sandboxed(nb, root, settings, run_dir, task="probe")
    outputs = nb.cells[0].get("outputs", [])
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    if problem or errors:
        return "; ".join([str(problem)] * bool(problem) + errors)
    if "grader probe: ok" not in "".join(o.get("text", "") for o in outputs):
        return "the probe notebook printed nothing"
    return ""


def execute(root, notebooks, files, settings, run_dir=None, task="student"):
    """Worker: run each prepared notebook of one submission ({id: notebook as a dict}:
    `Submission.task()`) in its own sandbox, its working folder holding `files`; return `Executed`."""
    started = time.perf_counter()
    done = Executed()
    for notebook, data in notebooks.items():
        nb = nbformat.from_dict(data)
        problem = run_sandboxed(nb, root, settings, run_dir, files, task, done.timings)
        done.notebooks[notebook] = nb
        if problem:
            done.problems[notebook] = problem
    done.seconds = time.perf_counter() - started
    return done


def run_reference(root, notebooks, files, settings, run_dir=None):
    """Worker: run the instructor's notebooks (solutions and hidden tests) in a sandbox set up as a
    student's, as `execute` runs a student's; return ({notebook: executed notebook}, [problems])."""
    done = execute(root, notebooks, files, settings, run_dir, task="reference")
    return done.notebooks, [f"{notebook}.ipynb: {problem}" for notebook, problem in done.problems.items()]


# A unix socket's path holds at most 107 bytes; the kernel's are <run>/<8 chars>/ipc/k-<port>.
SOCKET_PATH_MAX = 107


def make_run_dir(parent):
    """This run's scratch folder, reachable by the kernels' own uids; refused (before any student
    is graded) where its path leaves no room for the kernels' socket names."""
    parent = Path(parent or tempfile.gettempdir())
    if len(str(parent)) + len("/gr-xxxxxxxx/xxxxxxxx/ipc/k-65535") > SOCKET_PATH_MAX:
        raise course.GradingError(f"the scratch folder {parent} has too long a path for the kernels' "
                                  f"sockets: set TMPDIR to a shorter one (e.g. TMPDIR=/tmp)")
    for stale in parent.glob("gr-*"):   # left by a grader that was killed (SIGKILL cannot clean up)
        with contextlib.suppress(OSError, ValueError):
            if not _alive(int((stale / "grader.pid").read_text())):
                cgroup.remove_below(stale)   # its sandboxes' groups, and anything left in them
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
