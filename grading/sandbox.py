"""Execute one prepared submission notebook with its kernel locked in a bubblewrap sandbox.

The executor (this module, run in a trusted worker process) drives the kernel over IPC sockets in
a scratch folder. The kernel runs under `bwrap` as a uid of its own: read-only file system, the
course folder and the repository hidden except helpers/ and the Python environment, no network,
its own PID namespace (it cannot see or signal the executor), one torch/BLAS thread, and the caps
of `Limits`: address space, a size-limited in-memory working folder and /tmp, processes and
threads, CPU time, file size. Its kernel is shut down as soon as its notebook is done.
The kernel publishes its test cells' observations (COURSE_OBSERVE=1, helpers/checks.py); the
verdicts are decided afterwards, outside it (grading/verdict.py). Here, outside the kernel too:

* each cell has a timeout and the notebook a total budget; after a timeout or a dead kernel the
  remaining test cells are marked as not run (an error output, so they fail);
* a cell whose reply is an error counts as an error even when the submission hid the traceback;
* captured output is capped per cell.
"""
import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from queue import Empty
from dataclasses import dataclass
from pathlib import Path

import nbformat
import zmq
import zmq.asyncio
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from . import status
from .cells import is_test
from helpers.checks import OBSERVE_ENV
from .zygote import INLINE_BACKEND, SETUP_FAILED

REPO = Path(__file__).resolve().parent.parent
# Data folders a notebook may read, exposed read-only inside the sandbox: the repository's data/
# and the folders named by these environment variables (lesson 4's Fashion-MNIST).
DATA_ENV_VARS = ("FASHION_MNIST_DIR",)

def error_output(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def bwrap_available():
    return shutil.which("bwrap") is not None and subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--unshare-net", "true"], capture_output=True).returncode == 0


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use. Memory is an address-space cap; the working folder,
    /tmp and /dev/shm are size-limited in-memory file systems (so together they hold at most
    disk_mb + tmp_mb + shm_mb of RAM); processes and threads are capped by RLIMIT_NPROC under a
    uid of the kernel's own."""
    memory_mb: int = 4096
    disk_mb: int = 512        # the working folder
    tmp_mb: int = 256         # /tmp (and HOME, which lives there)
    shm_mb: int = 64          # /dev/shm
    max_tasks: int = 256      # processes + threads
    cpu_seconds: int = 600    # CPU time of the kernel process
    file_mb: int = 256        # largest single file


XCPU_EXIT = 128 + signal.SIGXCPU   # bwrap reports a child killed by a signal as 128 + signal


def sandbox_uid():
    """The uid the kernel runs as: one of its own per worker process when the grader is root (so
    RLIMIT_NPROC, which root ignores, caps it; live pids are unique, so two workers never share
    one), else the grader's own uid."""
    return 200_000 + os.getpid() if os.getuid() == 0 else os.getuid()


def _pids_of(uid):
    """The pids of the processes running under `uid` (from /proc)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
    return pids


def _tasks_of(uid):
    """Count the processes and threads running under `uid`."""
    count = 0
    for pid in _pids_of(uid):
        with contextlib.suppress(OSError):
            count += len(os.listdir(f"/proc/{pid}/task"))
    return count


def reap(uid, timeout=10):
    """Kill whatever still runs as the kernel's uid (a fork bomb's children die with its PID
    namespace, but not at once) and wait until nothing does, so the next kernel starts clean."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = _pids_of(uid)
        if not left:
            return
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def kernel_env():
    """The environment a kernel runs with, inside its sandbox."""
    return {"HOME": "/tmp/home", "IPYTHONDIR": "/tmp/home/ipython", "MPLCONFIGDIR": "/tmp/home/mpl",
            "JUPYTER_RUNTIME_DIR": "/tmp/home/runtime", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", OBSERVE_ENV: "1"}


def kernel_argv(scratch, work, inputs, hide, limits, uid, placeholder=False):
    """Return the kernel command: ipykernel inside bubblewrap, as `uid`, under `limits`.

    `work` is an empty folder that becomes a size-limited tmpfs inside the sandbox, with each
    entry of `inputs` (the submission's and the assignment's data files) bound into it read-only.
    With `placeholder`, the sandbox runs `sleep` where the kernel would be, and a kernel forked
    from the zygote joins it (grading/zygote.py)."""
    tmpfs = [Path("/tmp"), *map(Path, hide)]

    def reachable(target):
        """bwrap creates missing parents of a mount point as 0700: create those inside our own
        tmpfs mounts 0755 first, so the kernel's uid can reach what is mounted there."""
        out = []
        for parent in reversed(Path(target).parents):
            if any(root in parent.parents for root in tmpfs):
                out += ["--perms", "0755", "--dir", str(parent)]
        return out

    argv = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--perms", "1777", "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp",
            # POSIX semaphores and shared memory (joblib, torch's DataLoader workers), capped too
            "--perms", "1777", "--size", str(limits.shm_mb * 2**20), "--tmpfs", "/dev/shm"]
    exposed = [REPO / "helpers", Path(sys.prefix), Path(sys.base_prefix)]
    for path in hide:
        argv += ["--tmpfs", str(path)]
    for path in exposed:
        if any(Path(h) in path.parents or Path(h) == path for h in hide):
            argv += reachable(path) + ["--ro-bind", str(path), str(path)]
    for path in data_folders():
        real = path.resolve()   # bwrap cannot mount onto a path through a symlink: mount where it leads
        argv += reachable(real) + ["--ro-bind", str(real), str(real)]
        if real != path and any(root in path.parents for root in tmpfs):   # the link itself is hidden
            argv += reachable(path) + ["--symlink", str(real), str(path)]
    for path in hide:
        argv += ["--remount-ro", str(path)]
    ipc = Path(scratch) / "ipc"
    argv += reachable(ipc) + ["--bind", str(ipc), str(ipc)]
    argv += reachable(work) + ["--perms", "1777", "--size", str(limits.disk_mb * 2**20), "--tmpfs", str(work)]
    for entry in sorted(Path(inputs).iterdir()):
        argv += ["--ro-bind", str(entry), str(Path(work) / entry.name)]
    env = kernel_env()
    argv += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
             "--die-with-parent", "--new-session", "--unsetenv", "JPY_PARENT_PID", "--chdir", str(work)]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    nproc = limits.max_tasks if uid != os.getuid() else _tasks_of(uid) + limits.max_tasks
    argv += ["--"]
    if uid != os.getuid():   # bwrap sets up the mounts as root, then the kernel drops to its uid
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    if placeholder:
        return argv + ["sleep", "infinity"]
    argv += ["prlimit", f"--as={limits.memory_mb * 2**20}", f"--fsize={limits.file_mb * 2**20}",
             "--core=0", f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 5}", f"--nproc={nproc}", "--",
             sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return argv


def unsandboxed_argv():
    """The kernel command without isolation (SANDBOX=0): it still dies with its worker."""
    guard = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
    return guard + [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def data_folders():
    """Return the existing data folders to expose read-only (paths as the notebooks name them)."""
    names = [REPO / "data"] + [Path(os.environ[v]) for v in DATA_ENV_VARS if os.environ.get(v)]
    return [p.absolute() for p in names if p.is_dir()]


class Zygote:
    """This worker's template process (grading/zygote.py): started once, it forks every kernel."""

    def __init__(self, parent=None):
        self.home = Path(tempfile.mkdtemp(prefix="zyg-", dir=parent))
        ours, theirs = socket.socketpair()
        env = {**os.environ, **kernel_env(), "HOME": str(self.home), "IPYTHONDIR": str(self.home / "ipython"),
               "MPLCONFIGDIR": str(self.home / "mpl"), "MPLBACKEND": INLINE_BACKEND}
        with open(self.home / "zygote.log", "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grading.zygote", str(theirs.fileno())], pass_fds=[theirs.fileno()],
                env=env, cwd=self.home, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        theirs.close()
        ours.settimeout(300)
        self.channel, self.reader = ours, ours.makefile("r")
        atexit.register(self.close)
        answer = self._answer()
        if "ready" not in answer:
            self.close()
            raise RuntimeError(f"the kernel template could not start: {answer.get('error')}")

    def _answer(self):
        try:
            line = self.reader.readline()
        except OSError as err:
            line = json.dumps({"error": f"no answer ({err})"})
        if not line:
            tail = (self.home / "zygote.log").read_text(errors="replace")[-400:] if (self.home / "zygote.log").exists() else ""
            line = json.dumps({"error": f"the kernel template exited. {tail}".strip()})
        return json.loads(line)

    def alive(self):
        return self.process.poll() is None

    def fork(self, **request):
        """Fork a kernel into the sandbox whose placeholder is `target`; return its parent's pid."""
        self.channel.sendall((json.dumps(request) + "\n").encode())
        answer = self._answer()
        if "pid" not in answer:
            raise RuntimeError(f"the kernel template could not fork a kernel: {answer.get('error')}")
        return answer["pid"]

    def close(self):
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.wait(5)
        with contextlib.suppress(Exception):
            self.channel.close()
        shutil.rmtree(self.home, ignore_errors=True)


_zygote = None


def zygote(parent=None):
    """This worker's zygote, started on first use (and again if it died) with its home in `parent`."""
    global _zygote
    if _zygote is None or not _zygote.alive() or not _zygote.home.is_dir():
        if _zygote is not None:
            _zygote.close()
        _zygote = None
        _zygote = Zygote(parent)
    return _zygote


def preimport_available():
    """Kernels can be forked from a zygote only where the grader may enter namespaces (root)."""
    return os.getuid() == 0 and sys.platform.startswith("linux")


def _placeholder_pid(process, timeout=30):
    """The pid of the sandbox's placeholder (`sleep`, exec'd once bwrap has set everything up)."""
    bwrap_pid = process.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bubblewrap could not set up the sandbox (exit code {process.returncode})")
        for pid in _descendants(bwrap_pid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == "sleep":
                    return pid
        time.sleep(0.002)
    raise RuntimeError("the sandbox did not start within 30 s")


class QuickClient(AsyncKernelClient):
    """jupyter_client's client, less two fixed waits that dominate a forked kernel's start: sockets
    that reconnect every 10 ms (not 100) until the kernel has bound its own, and a drain of the
    start-up messages that ends after 20 ms of silence (not 200; later messages are told apart by
    their parent's id anyway)."""

    def _context_default(self):
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RECONNECT_IVL, 10)
        return context

    async def wait_for_ready(self, timeout=None):
        deadline = time.time() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:   # IOPub is connected once the kernel's status messages arrive on it
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.time() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=0.02)
            except Empty:
                break


class SandboxKernelManager(AsyncKernelManager):
    """Hands the connection file to the kernel's own uid (jupyter_client writes it 0600). With a
    `fork_request`, the launched sandbox holds a placeholder, and the kernel is forked into it."""

    fork_request = None

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        uid = getattr(self, "sandbox_uid", None)
        if uid is not None and uid != os.getuid():
            os.chown(self.connection_file, uid, uid)

    async def _async_wait(self, pollinterval=0.005):
        """Wait for the killed sandbox to end, polling every 5 ms (jupyter_client: 100 ms)."""
        await super()._async_wait(pollinterval)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.fork_request is not None:
            target = _placeholder_pid(self.provisioner.process)
            zygote(Path(self.connection_file).parent.parent.parent).fork(target=target, connection_file=self.connection_file, **self.fork_request)


class CappedClient(NotebookClient):
    """A NotebookClient that keeps at most `max_output_bytes` of output per cell."""

    def __init__(self, *args, max_output_bytes=200_000, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self._used = {}

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._used.get(cell_index, 0)
        self._used[cell_index] = used + size
        if used + size > self.max_output_bytes:
            if used <= self.max_output_bytes:
                outs.append(nbformat.v4.new_output(
                    "stream", name="stdout", text=f"\n[output truncated by the grader after {self.max_output_bytes} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def _mark_reply_errors(cell, cell_index, execute_reply):
    """Record an error reply as an error output even if the submission hid its traceback."""
    content = execute_reply.get("content", {})
    if content.get("status") == "error" and not any(o.output_type == "error" for o in cell.outputs):
        cell.outputs.append(error_output(content.get("ename", "Error"),
                                         content.get("evalue", "") or "an error occurred while tracebacks were hidden"))


def _descendants(pid):
    """Return the pids below `pid`, read from /proc."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        out += [int(c) for c in children]
        todo += [int(c) for c in children]
    return out


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


def _limits_hit(bwrap_pid, uid, work, limits):
    """What the sandbox ran out of, seen from outside: its mounts through /proc/<pid>/root of a
    process inside it, and the tasks of its uid."""
    inside = _descendants(bwrap_pid)
    hit = []
    for path, size, what in ((work, limits.disk_mb, "its working folder"), ("/tmp", limits.tmp_mb, "/tmp")):
        with contextlib.suppress(OSError, IndexError):
            fs = os.statvfs(f"/proc/{inside[-1]}/root{path}")
            if fs.f_bavail * fs.f_frsize < 2**20:
                hit.append(f"used all {size} MB of {what}")
    if uid != os.getuid() and _tasks_of(uid) >= limits.max_tasks - 4:
        hit.append(f"reached its cap of {limits.max_tasks} processes and threads")
    return hit


def run_notebook(nb, scratch, inputs, hide, cell_timeout=60, notebook_timeout=600, limits=Limits(),
                 max_output_bytes=200_000, sandbox=True, preimport=False):
    """Execute `nb` (in place) with its kernel in a sandbox; return None or the problem (a Status).

    `scratch` is an empty folder of this worker's; `inputs` holds the files the notebook may read
    from its working folder. With `preimport` the kernel is forked from this worker's zygote into
    the sandbox (grading/zygote.py), else started in it. The kernel is shut down (its sandbox gone)
    before this returns."""
    scratch = Path(scratch)
    kernels, ipc, work = scratch / "kernels" / "sandboxed", scratch / "ipc", scratch / "work"
    for folder in (kernels, ipc, work):
        folder.mkdir(parents=True, exist_ok=True)
    uid = sandbox_uid() if sandbox else os.getuid()
    if uid != os.getuid():
        os.chown(ipc, uid, uid)
        for path in [Path(inputs), *Path(inputs).rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    preimport = preimport and sandbox
    argv = kernel_argv(scratch, work, inputs, hide, limits, uid, placeholder=preimport) if sandbox else unsandboxed_argv()
    if not sandbox:   # no tmpfs: the working folder is the inputs themselves
        work = Path(inputs)
    (kernels / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "graded", "language": "python"}))

    from jupyter_client.kernelspec import KernelSpecManager
    ksm = KernelSpecManager(kernel_dirs=[str(scratch / "kernels")], ensure_native_kernel=False)
    km = SandboxKernelManager(kernel_name="sandboxed", kernel_spec_manager=ksm, transport="ipc",
                              ip=str(ipc / "k"), connection_file=str(ipc / "kernel.json"), client_factory=QuickClient)
    km.sandbox_uid = uid
    status_file = scratch / "kernel-status"   # written by the kernel's parent, outside the sandbox
    if preimport:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JPY_")}
        km.fork_request = {
            "uid": uid, "cwd": str(work), "status_file": str(status_file),
            "env": {**env, **kernel_env(), "MPLBACKEND": INLINE_BACKEND},
            "limits": {"as": limits.memory_mb * 2**20, "fsize": limits.file_mb * 2**20,
                       "cpu": limits.cpu_seconds, "nproc": limits.max_tasks}}
    deadline = time.monotonic() + notebook_timeout

    def budget(cell=None):
        return max(1, min(cell_timeout, int(deadline - time.monotonic())))

    client = CappedClient(nb, km=km, timeout=cell_timeout, timeout_func=budget, allow_errors=True,
                          interrupt_on_timeout=False, startup_timeout=120, kernel_name="sandboxed",
                          shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}},
                          max_output_bytes=max_output_bytes,
                          on_cell_executed=lambda **kw: _mark_reply_errors(kw["cell"], kw["cell_index"], kw["execute_reply"]))
    problem = None
    ran = set()
    watchdog = None
    try:
        env = {} if sandbox else {"env": dict(os.environ, **{OBSERVE_ENV: "1"})}   # bwrap sets it inside
        with client.setup_kernel(cleanup_kc=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **env):
            pid = km.provisioner.process.pid
            watchdog = Watchdog(ipc, limits.file_mb * 2**20, pid)
            watchdog.start()
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
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    problem = status.timeout(f"a cell ran longer than {budget()} s")
                    cell.outputs.append(error_output("CellTimeoutError", str(problem)))
                except DeadKernelError:
                    problem = _death(km, watchdog, limits, status_file)
                    cell.outputs.append(error_output("DeadKernelError", str(problem)))
            if not problem and sandbox:
                hit = _limits_hit(pid, uid, work, limits)
                problem = status.limit("; ".join(hit)) if hit else None
    except DeadKernelError:
        problem = problem or _death(km, watchdog, limits, status_file)
    except Exception as err:  # the kernel could not even start
        problem = problem or status.error(f"{type(err).__name__}: {err}")
    finally:
        if watchdog is not None:
            watchdog.done.set()
        with contextlib.suppress(Exception):
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        if uid != os.getuid():
            reap(uid)
        for index, cell in enumerate(nb.cells):
            if problem and is_test(cell) and index not in ran and not cell.get("outputs"):
                cell.outputs = [error_output("NotRun", f"not run: {problem}")]
    if preimport and status_file.exists() and status_file.read_text() == SETUP_FAILED:
        raise KernelSetupError("a kernel forked from the template could not be set up in its sandbox")
    return problem


class KernelSetupError(RuntimeError):
    """The grader could not set up a kernel: its own failure, never the student's."""


def _death(km, watchdog, limits, status_file):
    """Why the kernel died, as far as the grader can tell from outside."""
    if watchdog is not None and watchdog.tripped:
        return status.limit(f"wrote more than {limits.file_mb} MB outside its working folder (the sandbox was stopped)")
    process = getattr(km.provisioner, "process", None)
    code = process.poll() if process is not None else None
    if km.fork_request is not None:   # a forked kernel: its parent recorded how it ended
        for _ in range(40):
            if status_file.exists() and status_file.read_text():
                break
            time.sleep(0.05)
        with contextlib.suppress(OSError, ValueError):
            wait_status = int(status_file.read_text())   # (not SETUP_FAILED: raised by run_notebook)
            code = 128 + os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else os.WEXITSTATUS(wait_status)
    if code == XCPU_EXIT:
        return status.limit(f"used more than {limits.cpu_seconds} s of CPU time (the kernel was stopped)")
    return status.error("the kernel died (the notebook exited or crashed it)")
