"""Execute one prepared notebook with its kernel locked in a bubblewrap sandbox: `run_notebook`.

The executor (this module, run in a trusted worker process: grading/work.py) drives the kernel; the
kernel runs in the sandbox that grading/bwrap.py describes and is shut down as soon as its notebook
is done. A kernel forked from the worker's zygote runs its cells in an IPython shell and writes
their outputs to a pipe (grading/cellrunner.py, grading/pipe_exec.py: no ipykernel, no ZeroMQ);
a kernel started from scratch (PREIMPORT=0, or `piped=False`) is ipykernel, driven over IPC sockets
in a scratch folder by nbclient (grading/kernel.py). One loop drives both. The kernel publishes its test cells' observations (COURSE_OBSERVE=1,
helpers/checks.py); the verdicts are decided afterwards, outside it (grading/verdict.py). Here,
outside the kernel too:

* each cell has a timeout and the notebook a total budget; after a timeout or a dead kernel the
  remaining test cells are marked as not run (an error output, so they fail);
* a cell whose reply is an error counts as an error even when the submission hid the traceback;
* captured output is capped per cell and per notebook, display updates and widget (comm) state
  included (`kernel.CappedClient`): what the worker keeps and the grading process receives stays
  bounded whatever a notebook prints (one message in flight is bounded by the kernel's own memory
  cap). A test cell that lost output fails;
* what the sandbox ran out of (memory, disk, processes, CPU) is read from outside it and becomes
  the notebook's `limit:` status.
"""
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from . import cgroup, proc, status
from .bwrap import Limits, kernel_argv, kernel_env, sandbox_uid, unsandboxed_argv
from .cells import error_output, is_test
from .kernel import CappedClient, QuickClient, SandboxKernelManager, template_alive
from .pipe_exec import MalformedOutput, PipedKernel, mark_reply_errors
from .pipe_exec import output as pipe_exec_output
from .launcher import BWRAP, forked, sandboxed
from .proc import own_uid
from .verdict import OBSERVE_ENV
from .zygote import INLINE_BACKEND, SETUP_FAILED

XCPU_EXIT = 128 + signal.SIGXCPU   # bwrap reports a child killed by a signal as 128 + signal


# The steps of executing a notebook whose seconds `run_notebook` adds to its `timings`: the sandbox
# set up (scratch folders, cgroup, command), bubblewrap started up to its placeholder, the kernel
# forked from the zygote (or, unforked, started), the client connected to it (an ipykernel's
# kernel_info answered, channels up; nothing for a piped kernel, which reads its first cell at
# once), the cells (each executed, output handled; for a piped kernel, its set-up in the sandbox
# too), and the shutdown (the sandbox and every process in its cgroup killed; the group's removal
# and the reaping of the kernel's uid go on beside the next notebook: `_remove_later`).
STEPS = ("sandbox", "bwrap", "fork", "connect", "cells", "shutdown")


def run_notebook(nb, scratch, inputs, cell_timeout=60, notebook_timeout=600, limits=Limits(),
                 max_output_bytes=200_000, launcher=BWRAP, max_notebook_bytes=16 * 2**20, timings=None, piped=True,
                 extras=None):
    """Execute `nb` (in place) with its kernel in a sandbox; return None or the problem (a Status).

    `scratch` is an empty folder of this worker's; `inputs` holds the files the notebook may read
    from its working folder. With `preimport` the kernel is forked from this worker's zygote into
    the sandbox (grading/zygote.py), else started in it. Before this returns, the sandbox and
    everything in it have been killed; the removal of what is left of them finishes in a thread
    of this worker, before its next kernel starts (`_remove_later`). `extras`: what the zygote
    imports beyond what every assignment needs (zygote.EXTRAS' names; None: all of them); a
    kernel that is not piped runs ipykernel's start."""
    timings = {} if timings is None else timings
    if extras is not None and not piped:
        extras = (*extras, "ipykernel")
    clock = time.perf_counter()

    def lap(step):
        nonlocal clock
        now = time.perf_counter()
        timings[step] = timings.get(step, 0.0) + now - clock
        clock = now

    scratch = Path(scratch)
    kernels, ipc, work = scratch / "kernels" / "sandboxed", scratch / "ipc", scratch / "work"
    for folder in (kernels, ipc, work):
        folder.mkdir(parents=True, exist_ok=True)
    sandbox, preimport = sandboxed(launcher), forked(launcher)   # `launcher`: chosen by the run
    uid = sandbox_uid() if sandbox else os.getuid()
    if own_uid(uid):
        os.chown(ipc, uid, uid)
        for path in [Path(inputs), *Path(inputs).rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    group = None
    if sandbox and cgroup.available():
        try:
            group = cgroup.Group(cgroup.name_for(scratch), limits.memory_mb * 2**20, limits.max_tasks)
        except OSError as err:   # the grader's own failure: the student is retried next run
            raise KernelSetupError(f"the sandbox's cgroup could not be set up: {err}") from err
    try:
        argv = kernel_argv(scratch, work, inputs, limits, uid, placeholder=preimport, group=group) \
            if sandbox else unsandboxed_argv()
    except BaseException:
        if group is not None:
            group.close()
        raise
    if not sandbox:   # no tmpfs: the working folder is the inputs themselves
        work = Path(inputs)
    status_file = scratch / "kernel-status"   # written by the kernel's parent, outside the sandbox
    fork_request = None
    if preimport:
        fork_request = {
            "uid": uid, "cwd": str(work), "status_file": str(status_file),
            "connection_file": str(ipc / "kernel.json"),   # its argv's, as a kernel's (the file exists only unpiped)
            "env": {**kernel_env(), "MPLBACKEND": INLINE_BACKEND},
            "cgroup_procs": group.procs if group is not None else [],
            "limits": {"as": limits.memory_mb * 2**20, "fsize": limits.file_mb * 2**20,
                       "cpu": limits.cpu_seconds, "nproc": limits.max_tasks}}
    deadline = time.monotonic() + notebook_timeout

    def budget(cell=None):
        return max(1, min(cell_timeout, int(deadline - time.monotonic())))

    caps = dict(max_output_bytes=max_output_bytes, max_notebook_bytes=max_notebook_bytes)
    if preimport and piped:
        client = CappedClient(nb, km=None, **caps)   # only its output handling and caps
        client.build_output = pipe_exec_output       # of messages pipe_exec.parse checked
        client.reset_execution_trackers()
        kernel = PipedKernel(argv, fork_request, client, scratch.parent, timings, extras, before_fork=finish_removals)
        started = contextlib.nullcontext(kernel)
        execute = lambda cell, index: kernel.execute_cell(cell, index, budget())  # noqa: E731
    else:
        finish_removals()
        kernel = _jupyter_kernel(nb, scratch, kernels, ipc, argv, uid, timings, fork_request, sandbox, budget,
                                 cell_timeout, work, caps, extras)
        started = kernel.client.setup_kernel(cleanup_kc=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                             **kernel.env)
        execute = kernel.client.execute_cell
    problem = None
    ran = set()
    watchdog = None
    try:
        lap("sandbox")
        if preimport and piped:
            try:
                kernel.start()
            except Exception as err:   # the sandbox or the template: nothing of the notebook has run yet
                raise KernelSetupError(f"the kernel could not be started: {type(err).__name__}: {err}") from err
        with started:
            pid = kernel.process.pid
            watchdog = Watchdog(ipc, limits.file_mb * 2**20, pid)
            watchdog.start()
            lap("connect")   # less what was measured as "bwrap" and "fork"
            timings["connect"] -= kernel.launched
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if problem:
                    cell.outputs = [error_output("NotRun", f"not run: {problem}")] if is_test(cell) else []
                    continue
                if time.monotonic() >= deadline:
                    problem = status.timeout(f"the notebook exceeded {notebook_timeout} s")
                    cell.outputs = [error_output("NotRun", f"not run: {problem}")] if is_test(cell) else []
                    continue
                ran.add(index)
                try:
                    execute(cell, index)
                except CellTimeoutError:
                    problem = status.timeout(f"a cell ran longer than {budget()} s")
                    cell.outputs.append(error_output("CellTimeoutError", str(problem)))
                except MalformedOutput as err:
                    problem = status.error(str(err))
                    cell.outputs.append(error_output("DeadKernelError", str(problem)))
                except DeadKernelError:
                    problem = _death(kernel, watchdog, limits, status_file, group)
                    cell.outputs.append(error_output("DeadKernelError", str(problem)))
            if not problem and sandbox:
                hit = _limits_hit(pid, uid, work, limits, group)
                problem = status.limit("; ".join(hit)) if hit else None
    except DeadKernelError:
        problem = problem or _death(kernel, watchdog, limits, status_file, group)
    except KernelSetupError:   # the grader's own failure: the task fails, and is tried again
        raise
    except Exception as err:  # the kernel could not even start
        problem = problem or status.error(f"{type(err).__name__}: {err}")
    finally:
        lap("cells")
        if watchdog is not None:
            watchdog.done.set()
        with contextlib.suppress(Exception):
            kernel.shutdown()
        _remove_later(group, uid)
        for index, cell in enumerate(nb.cells):
            if problem and is_test(cell) and index not in ran and not cell.get("outputs"):
                cell.outputs = [error_output("NotRun", f"not run: {problem}")]
        lap("shutdown")
    if preimport and status_file.exists() and status_file.read_text() == SETUP_FAILED:
        raise KernelSetupError("a kernel forked from the template could not be set up in its sandbox")
    return problem


# The removals of this worker's killed sandboxes still under way (`_remove_later`).
_removals, _removals_lock = [], threading.Lock()


def _remove_later(group, uid):
    """End a notebook's sandbox: kill every process left in its cgroup (else every process of its
    uid) now, so nothing of the notebook runs once `run_notebook` returns; then, in a thread,
    wait for them to be gone, remove the group and reap the uid. A killed kernel takes 10-20 ms
    to unmap its copy of the template and leave its group: waited for here, that was most of a
    notebook's shutdown. `finish_removals` waits for them before the worker's next kernel starts
    (a new uid and a new group: nothing of the old sandbox can touch it, and no kernel runs
    while it is being removed), and a run removes whatever its workers left
    (grading/run.py: `_remove_sandboxes`)."""
    reap = own_uid(uid)
    if group is not None:
        group.kill()
    elif reap:
        proc.kill_all(proc.pids_of(uid))
    if group is None and not reap:
        return

    def remove():
        if group is not None:
            group.close()
        if reap:
            proc.reap(uid)

    thread = threading.Thread(target=remove, name="sandbox-removal", daemon=True)
    with _removals_lock:
        _removals.append(thread)
        _finish_at_exit()
    thread.start()


_finishing_in = None   # the pid of the process whose exit waits for its removals


def _finish_at_exit():
    """Have this process wait for its removals when it exits (a pool's worker, a Dask worker's
    grading process, a script): their threads are daemons, which an exit would cut short, leaving
    the groups. multiprocessing runs its finalizers at a worker's exit, where atexit's are not;
    it clears those a worker inherits, hence once per process, at its first removal."""
    global _finishing_in
    if _finishing_in != os.getpid():
        from multiprocessing import util
        util.Finalize(None, finish_removals, exitpriority=100)   # (also run at a normal exit: atexit)
        _finishing_in = os.getpid()


def finish_removals():
    """Wait until this worker's killed sandboxes are removed (`_remove_later`)."""
    with _removals_lock:
        pending = list(_removals)
    for thread in pending:
        thread.join()
    with _removals_lock:
        for thread in pending:
            _removals.remove(thread)


class _JupyterKernel:
    """A kernel driven over the Jupyter protocol (ipykernel, started in its sandbox or forked into
    it), with what `run_notebook` asks of a kernel: its sandbox's process, how it was launched,
    its client, and its shutdown."""

    def __init__(self, km, client, env):
        self.km, self.client, self.env = km, client, env
        self.fork_request = km.fork_request

    process = property(lambda self: self.km.provisioner.process)
    launched = property(lambda self: self.km.launched)

    def shutdown(self):
        if self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)


def _jupyter_kernel(nb, scratch, kernels, ipc, argv, uid, timings, fork_request, sandbox, budget, cell_timeout,
                    work, caps, extras=None):
    (kernels / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "graded", "language": "python"}))
    from jupyter_client.kernelspec import KernelSpecManager
    ksm = KernelSpecManager(kernel_dirs=[str(scratch / "kernels")], ensure_native_kernel=False)
    km = SandboxKernelManager(kernel_name="sandboxed", kernel_spec_manager=ksm, transport="ipc",
                              ip=str(ipc / "k"), connection_file=str(ipc / "kernel.json"), client_factory=QuickClient)
    km.sandbox_uid = uid
    km.timings = timings
    km.fork_request = fork_request
    km.extras = extras
    client = CappedClient(nb, km=km, timeout=cell_timeout, timeout_func=budget, allow_errors=True,
                          interrupt_on_timeout=False, startup_timeout=120, kernel_name="sandboxed",
                          shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}},
                          on_cell_executed=lambda **kw: mark_reply_errors(kw["cell"], kw["cell_index"], kw["execute_reply"]),
                          **caps)
    env = {} if sandbox else {"env": dict(os.environ, **{OBSERVE_ENV: "1"})}   # bwrap sets it inside
    return _JupyterKernel(km, client, env)


def _folder_bytes(folder):
    total = 0
    for path in Path(folder).rglob("*"):
        try:
            total += path.lstat().st_size
        except OSError:
            pass
    return total


class Watchdog(threading.Thread):
    """Kills the sandbox when the kernel writes more than `cap` bytes into the one host folder it
    can write (its IPC folder, which holds only the kernel's sockets)."""

    def __init__(self, folder, cap, pid):
        super().__init__(daemon=True)
        self.folder, self.cap, self.pid = folder, cap, pid
        self.tripped = False
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.25):
            if _folder_bytes(self.folder) > self.cap:
                self.tripped = True
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                return


def _memory_cap(limits):
    return f"used more than its {limits.memory_mb} MB of memory (the sandbox's cap; processes were killed)"


def _limits_hit(bwrap_pid, uid, work, limits, group=None):
    """What the sandbox ran out of, seen from outside: its mounts through /proc/<pid>/root of a
    process inside it, and its cgroup's counters (else the tasks of its uid)."""
    inside = proc.descendants(bwrap_pid)
    hit = []
    for path, size, what in ((work, limits.disk_mb, "its working folder"), ("/tmp", limits.tmp_mb, "/tmp")):
        with contextlib.suppress(OSError, IndexError):
            fs = os.statvfs(f"/proc/{inside[-1]}/root{path}")
            if fs.f_bavail * fs.f_frsize < 2**20:
                hit.append(f"used all {size} MB of {what}")
    if group is not None and group.oom_kills():
        hit.append(_memory_cap(limits))
    # the cgroup counts every task of the sandbox (a superset of the uid's), so it says it alone
    refused = group.tasks_refused() if group is not None else own_uid(uid) and proc.tasks_of(uid) >= limits.max_tasks - 4
    if refused:
        hit.append(f"reached its cap of {limits.max_tasks} processes and threads")
    return hit


class KernelSetupError(RuntimeError):
    """The grader could not set up a kernel: its own failure, never the student's."""


class TemplateLost(KernelSetupError):
    """A forked kernel ended, its parent never said how, and that parent, the template, is gone
    (the OOM killer, an operator): its kernels died with it. The grader's failure, tried
    again (with a template of the worker's own), never the student's "the kernel died"."""


class SandboxKilled(KernelSetupError):
    """The sandbox was killed by a signal that neither the grader nor the notebook sends (a nanny's
    or an operator's SIGTERM to the worker's process group): the grader's failure, tried again."""


# What may end the sandbox (bubblewrap itself) for the notebook's doing: SIGKILL (the cgroup's
# memory cap, the watchdog: told apart before) and SIGXCPU. Any other signal came from outside.
NOTEBOOK_SIGNALS = (signal.SIGKILL, signal.SIGXCPU)
# How many times (50 ms apart) to look for a dead forked kernel's exit status, which its parent,
# the template, writes once it has reaped it: 2 s, far more than it takes on a busy machine; a
# status still missing then means the kernel lives on, or the template is gone (`TemplateLost`).
STATUS_WAITS = 40


def _death(kernel, watchdog, limits, status_file, group=None):
    """Why the kernel died, as far as the grader can tell from outside."""
    if group is not None and group.oom_kills():
        return status.limit(_memory_cap(limits))
    if watchdog is not None and watchdog.tripped:
        return status.limit(f"wrote more than {limits.file_mb} MB outside its working folder (the sandbox was stopped)")
    # a kernel manager's process is its provisioner's; a piped or wrapped kernel's, its own
    process = getattr(getattr(kernel, "provisioner", kernel), "process", None)
    code = process.poll() if process is not None else None
    for _ in range(20 if process is not None and code is None else 0):   # bubblewrap is ending
        time.sleep(0.05)
        code = process.poll()
        if code is not None:
            break
    if code is not None and code < 0 and -code not in NOTEBOOK_SIGNALS:
        raise SandboxKilled(f"the sandbox was killed by {signal.Signals(-code).name}, "
                            f"which the grader did not send")
    if kernel.fork_request is not None:   # a forked kernel: its parent recorded how it ended
        for _ in range(STATUS_WAITS):
            if status_file.exists() and status_file.read_text():
                break
            time.sleep(0.05)
        else:   # not reaped: a kernel that closed its pipe and lives on, or a template that is gone
            if not template_alive():
                raise TemplateLost("the kernel's template ended before its kernel did (its kernels die with it)")
        with contextlib.suppress(OSError, ValueError):
            wait_status = int(status_file.read_text())   # (not SETUP_FAILED: raised by run_notebook)
            code = 128 + os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else os.WEXITSTATUS(wait_status)
    if code == XCPU_EXIT:
        return status.limit(f"used more than {limits.cpu_seconds} s of CPU time (the kernel was stopped)")
    return status.error("the kernel died (the notebook exited or crashed it)")
