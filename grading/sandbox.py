"""Execute one prepared submission notebook with its kernel locked in a bubblewrap sandbox.

The executor (this module, run in a trusted worker process) drives the kernel over IPC sockets in
a scratch folder. The kernel runs under `bwrap`, and nothing is visible, inherited or reachable
unless it is named here:

* files: an empty root with, read-only, the system's programs and libraries (`SYSTEM_PATHS`), the
  Python environment, helpers/, the data folders, a passwd file of two lines, and the notebook's
  declared input files in a size-limited in-memory working folder; no other host path (no home,
  no course folder, no /run with its sockets, no /sys beyond the CPU list, a /proc of its own);
* environment: exactly `kernel_env()` (the grader's own variables, a database URL among them,
  never reach it);
* identity: a uid of its own per kernel, never shared with another student's; a seccomp filter
  takes away the kernel keyring, the one store Linux does not namespace (grading/seccomp.py);
  its own network (none), PID, IPC and UTS namespaces;
* limits: a cgroup per sandbox caps the memory and the processes of all its processes together
  (grading/cgroup.py), beside per-process caps of `Limits` (address space, CPU time, file size);
  the tmpfs mounts are size-limited.

Its kernel is shut down as soon as its notebook is done.
The kernel publishes its test cells' observations (COURSE_OBSERVE=1, helpers/checks.py); the
verdicts are decided afterwards, outside it (grading/verdict.py). Here, outside the kernel too:

* each cell has a timeout and the notebook a total budget; after a timeout or a dead kernel the
  remaining test cells are marked as not run (an error output, so they fail);
* a cell whose reply is an error counts as an error even when the submission hid the traceback;
* captured output is capped per cell and per notebook, display updates and widget (comm) state
  included: what the worker keeps and the grading process receives stays bounded whatever a
  notebook prints (one message in flight is bounded by the kernel's own memory cap). A test cell
  that lost output fails.
"""
import atexit
import contextlib
import itertools
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

from . import cgroup, seccomp, status
from .verdict import OBSERVATION_MIME, OBSERVE_ENV
from .cells import is_test
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


KERNEL_UID_BASE = 2**24
_kernel_count = itertools.count()


def sandbox_uid():
    """A uid for the next kernel: a new one for every kernel when the grader is root (worker pid
    and a counter: two live workers never share one, and a worker reuses one only 256 kernels
    later, after `reap` has ended all its processes), else the grader's own uid."""
    if os.getuid() != 0:
        return os.getuid()
    return KERNEL_UID_BASE + os.getpid() * 256 + next(_kernel_count) % 256


def is_kernel_uid(uid):
    return KERNEL_UID_BASE <= uid < KERNEL_UID_BASE + 2**22 * 256


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
    cgroup.kill_until_gone(lambda: _pids_of(uid), timeout)


def kernel_env():
    """The whole environment of a kernel, inside its sandbox: an allow-list, nothing copied from
    the grader's own (which may hold a database URL or a token) but the data folders' variables."""
    env = {"HOME": "/tmp/home", "IPYTHONDIR": "/tmp/home/ipython", "MPLCONFIGDIR": "/tmp/home/mpl",
           "JUPYTER_RUNTIME_DIR": "/tmp/home/runtime", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", OBSERVE_ENV: "1",
           "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "student",
           "LOGNAME": "student"}
    env.update({name: os.environ[name] for name in DATA_ENV_VARS if os.environ.get(name)})
    return env


# The host paths a sandbox sees besides the Python environment, helpers/ and the data folders: the
# system's programs and libraries (symlinks such as Debian's /lib -> usr/lib are recreated as
# links), the loader's cache, the time zone, and the CPU list (torch and OpenMP read it).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache",
                "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
                "/etc/nsswitch.conf", "/sys/devices/system/cpu")


def exposed_paths():
    """Every host path a sandbox sees read-only (those that exist here)."""
    paths = [Path(p) for p in SYSTEM_PATHS]
    paths += [Path(sys.base_prefix), Path(sys.prefix), Path(helpers_folder())] + data_folders()
    return [p for p in dict.fromkeys(p.absolute() for p in paths) if os.path.lexists(p)]


def helpers_folder():
    """Where the kernels' `helpers` package is imported from (the repository's, when installed
    in editable mode, as `make venv` does)."""
    import helpers
    return Path(helpers.__file__).resolve().parent


def _passwd(scratch, uid):
    """A passwd and a group file naming only root and the kernel's own uid (for getpass, pwd)."""
    etc = Path(scratch) / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "passwd").write_text(f"root:x:0:0::/root:/usr/sbin/nologin\nstudent:x:{uid}:{uid}::/tmp/home:/usr/sbin/nologin\n")
    (etc / "group").write_text(f"root:x:0:\nstudent:x:{uid}:\n")
    return etc


class _Mounts:
    """bwrap arguments on an empty root: parents of mount points are created 0755 once."""

    def __init__(self):
        self.argv, self.made, self.bound = [], {Path("/")}, set()

    def covered(self, path):
        return path in self.bound or any(parent in self.bound for parent in path.parents)

    def parents(self, target):
        for parent in reversed(Path(target).parents):
            if parent not in self.made:
                self.argv += ["--perms", "0755", "--dir", str(parent)]
                self.made.add(parent)

    def add(self, *args, target):
        self.parents(target)
        self.argv += [*args]
        self.made.add(Path(target))

    def expose(self, path):
        """`path` read-only at the same place; a symlink becomes the same link, and what it leads
        to is exposed too (bwrap cannot mount through a link)."""
        path = Path(path)
        if self.covered(path):
            return
        if path.is_symlink():
            target = os.readlink(path)
            self.add("--symlink", target, str(path), target=path)
            self.expose(path.parent / target if not os.path.isabs(target) else Path(target))
        elif path.exists():
            real = path.resolve()
            if real != path:   # a link further up the path: mount where it leads, link the rest
                self.expose(real)
                self.add("--symlink", str(real), str(path), target=path)
            else:
                self.add("--ro-bind", str(path), str(path), target=path)
                self.bound.add(path)


# Run first in the sandbox's process: open the seccomp filter for bwrap on fd 3, join the
# sandbox's cgroup (one `cgroup.procs` file per hierarchy, up to `--`), then exec bwrap.
_WRAPPER = 'exec 3<"$1" || exit 125; shift; while [ "$1" != -- ]; do echo $$ >"$1" || exit 125; shift; done; shift; exec "$@"'


def kernel_argv(scratch, work, inputs, limits, uid, placeholder=False, group=None):
    """Return the kernel command: ipykernel inside bubblewrap, as `uid`, under `limits`, in the
    cgroup `group` (a cgroup.Group) when there is one.

    `work` is an empty folder that becomes a size-limited tmpfs inside the sandbox, with each
    entry of `inputs` (the submission's and the assignment's data files) bound into it read-only.
    With `placeholder`, the sandbox runs `sleep` where the kernel would be, and a kernel forked
    from the zygote joins it (grading/zygote.py)."""
    mounts = _Mounts()
    # First the sandbox's own mounts, then what it sees of the host, so that a host path below
    # /tmp (a clone in /tmp with its .venv) is mounted inside the new /tmp, not hidden by it.
    mounts.argv += ["--dev", "/dev", "--proc", "/proc"]
    mounts.made |= {Path("/dev"), Path("/proc")}
    mounts.add("--perms", "1777", "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp", target=Path("/tmp"))
    # POSIX semaphores and shared memory (joblib, torch's DataLoader workers), capped too
    mounts.add("--perms", "1777", "--size", str(limits.shm_mb * 2**20), "--tmpfs", "/dev/shm", target=Path("/dev/shm"))
    for path in exposed_paths():
        mounts.expose(path)
    etc = _passwd(scratch, uid)
    for name in ("passwd", "group"):
        mounts.add("--ro-bind", str(etc / name), f"/etc/{name}", target=Path("/etc") / name)
    ipc = Path(scratch) / "ipc"
    mounts.add("--bind", str(ipc), str(ipc), target=ipc)
    mounts.add("--perms", "1777", "--size", str(limits.disk_mb * 2**20), "--tmpfs", str(work), target=Path(work))
    for entry in sorted(Path(inputs).iterdir()):
        mounts.argv += ["--ro-bind", str(entry), str(Path(work) / entry.name)]
    argv = ["bwrap", "--seccomp", "3", *mounts.argv, "--remount-ro", "/",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--clearenv", "--chdir", str(work)]
    for key, value in kernel_env().items():
        argv += ["--setenv", key, value]
    nproc = limits.max_tasks if uid != os.getuid() else _tasks_of(uid) + limits.max_tasks
    argv += ["--"]
    if uid != os.getuid():   # bwrap sets up the mounts as root, then the kernel drops to its uid
        argv += ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    if placeholder:
        argv += ["/bin/sleep", "infinity"]
    else:
        argv += ["/usr/bin/prlimit", f"--as={limits.memory_mb * 2**20}", f"--fsize={limits.file_mb * 2**20}",
                 "--core=0", f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 5}", f"--nproc={nproc}", "--",
                 f"{sys.prefix}/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    filter_file = seccomp.write(Path(scratch) / "seccomp.bpf")
    procs = group.procs if group is not None else []
    return ["/bin/sh", "-c", _WRAPPER, "sandbox", str(filter_file), *procs, "--", *argv]


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
        # Its environment is the kernels' allow-list (a forked kernel's /proc/self/environ shows the
        # template's), plus where Python finds the grader's modules when they are not installed.
        env = {**kernel_env(), "HOME": str(self.home), "IPYTHONDIR": str(self.home / "ipython"),
               "MPLCONFIGDIR": str(self.home / "mpl"), "MPLBACKEND": INLINE_BACKEND}
        if os.environ.get("PYTHONPATH"):
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
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


# What `_size` answers for content it cannot measure (counted as if it were this large).
MAX_MESSAGE_BYTES = 64 * 2**20
CAPPED = "OutputCapped"   # the ename of the error that fails a test cell which lost output


class CappedClient(NotebookClient):
    """A NotebookClient that keeps at most `max_output_bytes` of output per cell (and
    `max_observation_bytes` of a test's observations) and `max_notebook_bytes` in all: outputs,
    display updates (counted once for every output they replace) and widget state (counted by
    what it keeps). What would pass a cap is dropped, the
    cell says so, and a test cell that lost output fails (`CAPPED`), so no observation is judged
    with a part of it missing."""

    def __init__(self, *args, max_output_bytes=200_000, max_notebook_bytes=16 * 2**20,
                 max_observation_bytes=2 * 2**20, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output_bytes, self.max_notebook_bytes = max_output_bytes, max_notebook_bytes
        self.max_observation_bytes = max_observation_bytes
        self.kept = 0                # bytes kept for the whole notebook
        self._cell_bytes = {}        # (cell index, observations or not) -> bytes kept in that cell
        self._replaced = {}          # (display id) or (comm id, key) -> bytes it keeps now
        self.capped = set()          # cell indices that lost output

    def process_message(self, msg, cell, cell_index):
        kind = msg.get("msg_type")
        if kind in ("status", "execute_input", "clear_output", "comm_close"):
            return super().process_message(msg, cell, cell_index)
        content = msg.get("content") or {}
        cost, per_cell, replaced = self._cost(kind, content, msg)
        # a test's observations (helpers.checks: up to 20,000 numbers each) have a budget of their own
        data = content.get("data")
        observed = kind == "display_data" and isinstance(data, dict) and OBSERVATION_MIME in data
        key, cap = (cell_index, observed), self.max_observation_bytes if observed else self.max_output_bytes
        used = self._cell_bytes.get(key, 0)
        if self.kept + cost > self.max_notebook_bytes or (per_cell and used + cost > cap):
            self._cap(cell, cell_index)
            return None
        self.kept += cost
        self._cell_bytes[key] = used + (cost if per_cell else 0)
        self._replaced.update(replaced)
        return super().process_message(msg, cell, cell_index)

    def _cost(self, kind, content, msg):
        """(bytes the message adds to what is kept, whether it counts against its cell, the
        replaced items' new sizes)."""
        transient = content.get("transient") or {}
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if kind.startswith("comm"):
            data = content.get("data") or {}
            state = data.get("state") if isinstance(data, dict) else None
            comm = content.get("comm_id")
            sizes = {(comm, key): _size(value) for key, value in state.items()} if isinstance(state, dict) else {}
            for index, buffer in enumerate(msg.get("buffers") or []):
                sizes[(comm, "buffer", index)] = len(buffer)
            cost = sum(size - self._replaced.get(key, 0) for key, size in sizes.items())
            return max(cost, 0) + 100, False, sizes
        size = _size(content) + 100
        if display_id and display_id in self._display_id_map:   # replaces every output it names
            shown = sum(len(indices) for indices in self._display_id_map[display_id].values())
            update = max(size - self._replaced.get(display_id, 0), 0) * max(shown, 1)
            if kind == "update_display_data":
                return update, False, {display_id: size}
            return size + update, True, {display_id: size}
        return size, True, ({display_id: size} if display_id else {})

    def _cap(self, cell, cell_index):
        if cell_index in self.capped:
            return
        self.capped.add(cell_index)
        why = (f"this cell's output passed the grader's cap ({self.max_output_bytes} bytes a cell, "
               f"{self.max_observation_bytes} of a test's observations, {self.max_notebook_bytes} a "
               f"notebook); the rest was dropped")
        cell.outputs.append(error_output(CAPPED, why) if is_test(cell) else
                            nbformat.v4.new_output("stream", name="stdout", text=f"\n[{why}]\n"))


def _size(value):
    """The size of a message's JSON content (a lower bound where it is not JSON)."""
    try:
        return len(json.dumps(value, default=lambda o: "?" * len(o) if isinstance(o, (bytes, memoryview)) else "?"))
    except (TypeError, ValueError, RecursionError):
        return MAX_MESSAGE_BYTES


def _mark_reply_errors(cell, cell_index, execute_reply):
    """Record an error reply as an error output even if the submission hid its traceback."""
    content = execute_reply.get("content", {})
    if content.get("status") == "error" and not any(o.output_type == "error" for o in cell.outputs):
        cell.outputs.append(error_output(str(content.get("ename", "Error"))[:200],
                                         str(content.get("evalue", ""))[:2000] or "an error occurred while tracebacks were hidden"))


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


def _memory_cap(limits):
    return f"used more than its {limits.memory_mb} MB of memory (the sandbox's cap; processes were killed)"


def _limits_hit(bwrap_pid, uid, work, limits, group=None):
    """What the sandbox ran out of, seen from outside: its mounts through /proc/<pid>/root of a
    process inside it, and its cgroup's counters (else the tasks of its uid)."""
    inside = _descendants(bwrap_pid)
    hit = []
    for path, size, what in ((work, limits.disk_mb, "its working folder"), ("/tmp", limits.tmp_mb, "/tmp")):
        with contextlib.suppress(OSError, IndexError):
            fs = os.statvfs(f"/proc/{inside[-1]}/root{path}")
            if fs.f_bavail * fs.f_frsize < 2**20:
                hit.append(f"used all {size} MB of {what}")
    if group is not None and group.oom_kills():
        hit.append(_memory_cap(limits))
    # the cgroup counts every task of the sandbox (a superset of the uid's), so it says it alone
    refused = group.tasks_refused() if group is not None else uid != os.getuid() and _tasks_of(uid) >= limits.max_tasks - 4
    if refused:
        hit.append(f"reached its cap of {limits.max_tasks} processes and threads")
    return hit


def run_notebook(nb, scratch, inputs, cell_timeout=60, notebook_timeout=600, limits=Limits(),
                 max_output_bytes=200_000, sandbox=True, preimport=False, max_notebook_bytes=16 * 2**20):
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
    (kernels / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "graded", "language": "python"}))

    from jupyter_client.kernelspec import KernelSpecManager
    ksm = KernelSpecManager(kernel_dirs=[str(scratch / "kernels")], ensure_native_kernel=False)
    km = SandboxKernelManager(kernel_name="sandboxed", kernel_spec_manager=ksm, transport="ipc",
                              ip=str(ipc / "k"), connection_file=str(ipc / "kernel.json"), client_factory=QuickClient)
    km.sandbox_uid = uid
    status_file = scratch / "kernel-status"   # written by the kernel's parent, outside the sandbox
    if preimport:
        km.fork_request = {
            "uid": uid, "cwd": str(work), "status_file": str(status_file),
            "env": {**kernel_env(), "MPLBACKEND": INLINE_BACKEND},
            "cgroup_procs": group.procs if group is not None else [],
            "limits": {"as": limits.memory_mb * 2**20, "fsize": limits.file_mb * 2**20,
                       "cpu": limits.cpu_seconds, "nproc": limits.max_tasks}}
    deadline = time.monotonic() + notebook_timeout

    def budget(cell=None):
        return max(1, min(cell_timeout, int(deadline - time.monotonic())))

    client = CappedClient(nb, km=km, timeout=cell_timeout, timeout_func=budget, allow_errors=True,
                          interrupt_on_timeout=False, startup_timeout=120, kernel_name="sandboxed",
                          shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}},
                          max_output_bytes=max_output_bytes, max_notebook_bytes=max_notebook_bytes,
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
                    problem = _death(km, watchdog, limits, status_file, group)
                    cell.outputs.append(error_output("DeadKernelError", str(problem)))
            if not problem and sandbox:
                hit = _limits_hit(pid, uid, work, limits, group)
                problem = status.limit("; ".join(hit)) if hit else None
    except DeadKernelError:
        problem = problem or _death(km, watchdog, limits, status_file, group)
    except Exception as err:  # the kernel could not even start
        problem = problem or status.error(f"{type(err).__name__}: {err}")
    finally:
        if watchdog is not None:
            watchdog.done.set()
        with contextlib.suppress(Exception):
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        if group is not None:
            group.close()
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


def _death(km, watchdog, limits, status_file, group=None):
    """Why the kernel died, as far as the grader can tell from outside."""
    if group is not None and group.oom_kills():
        return status.limit(_memory_cap(limits))
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
