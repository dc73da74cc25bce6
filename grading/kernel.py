"""Starting and talking to a sandboxed kernel: jupyter_client's and nbclient's classes, less
their fixed waits and with caps on what a kernel's output may cost.

* `SandboxKernelManager` launches the bubblewrap command (grading/bwrap.py); with a fork request
  the sandbox holds a placeholder and an ipykernel is forked into it by this worker's zygote (the
  default forked kernel is piped instead: grading/pipe_exec.py);
* `Zygote` is the worker's side of the template process (grading/zygote.py is the other side);
* `QuickClient` connects to a forked kernel without jupyter_client's 100-200 ms waits;
* `CappedClient` keeps what the worker holds of a notebook's output bounded, whatever it prints
  (a piped kernel's outputs go through it too).
"""
import atexit
import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from . import proc
from .bwrap import kernel_env
from .cells import error_output, is_test
from .verdict import OBSERVATION_MIME
from .zygote import EXTRAS, INLINE_BACKEND, send

def _start_template(home, sock, extras, lock=None):
    """Start grading/zygote.py on socket `sock` (its end of a pair, or a listening socket), at
    home in `home`, importing what every assignment needs and the `extras`; return the process.
    With `lock` (a machine's shared template: `machine_template`) it is started in a session of its
    own and outlives this process."""
    # Its environment is the kernels' allow-list (a forked kernel's /proc/self/environ shows the
    # template's), plus where Python finds the grader's modules when they are not installed.
    env = {**kernel_env(), "HOME": str(home), "IPYTHONDIR": str(home / "ipython"),
           "MPLCONFIGDIR": str(home / "mpl"), "MPLBACKEND": INLINE_BACKEND}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    with open(home / "zygote.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "grading.zygote", str(sock.fileno()), ",".join(sorted(extras)),
             *([str(lock)] if lock else [])],
            pass_fds=[sock.fileno()], env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=lock is not None)


class Zygote:
    """This worker's side of a template process (grading/zygote.py): its own, started once, or the
    one the grading process shares among its workers (`shared`: its socket's path). It forks every
    kernel. It imports what every assignment needs and the `extras` named (zygote.EXTRAS)."""

    def __init__(self, parent=None, extras=tuple(EXTRAS), shared=None):
        self.extras, self.process, self.broken = frozenset(extras), None, False
        if shared is not None:
            self.home = Path(shared).parent
            ours = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            ours.settimeout(300)
            ours.connect(shared)
        else:
            self.home = Path(tempfile.mkdtemp(prefix="zyg-", dir=parent))
            ours, theirs = socket.socketpair()
            self.process = _start_template(self.home, theirs, self.extras)
            theirs.close()
            ours.settimeout(300)
            atexit.register(self.close)
        self.channel, self.reader = ours, ours.makefile("r")
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
            self.broken = True
            tail = (self.home / "zygote.log").read_text(errors="replace")[-400:] if (self.home / "zygote.log").exists() else ""
            line = json.dumps({"error": f"the kernel template exited. {tail}".strip()})
        return json.loads(line)

    def alive(self):
        if self.broken:
            return False
        if self.process is not None:
            return self.process.poll() is None
        # a shared template never writes unasked: its connection is readable only once it closed
        if select.select([self.channel], [], [], 0)[0]:
            self.broken = True
        return not self.broken

    def fork(self, pipes=(), **request):
        """Fork a kernel into the sandbox whose placeholder is `target`; return its parent's pid.
        With `pipes` (the kernel's ends of its output and cell pipes) it runs grading/cellrunner.py
        on them, else ipykernel on the request's connection file."""
        try:
            send(self.channel, request, pipes)
        except OSError as err:
            self.broken = True
            raise RuntimeError(f"the kernel template is gone: {err}") from None
        answer = self._answer()
        if "pid" not in answer:
            raise RuntimeError(f"the kernel template could not fork a kernel: {answer.get('error')}")
        return answer["pid"]

    def close(self):
        """Disconnect; end the template, and remove its home, when it is this worker's own."""
        with contextlib.suppress(Exception):
            self.channel.close()
        if self.process is not None:
            with contextlib.suppress(Exception):
                self.process.kill()
                self.process.wait(5)
            shutil.rmtree(self.home, ignore_errors=True)


class Shared:
    """A template the grading process starts for all of its local workers at the start of a run:
    its imports overlap the run's planning, the preparation and the workers' start, and the machine
    pays for torch's import once instead of once per worker. Its socket is in a folder only root
    may enter, which no sandbox mounts, and it takes root's connections only (grading/zygote.py).
    A worker that cannot reach it (it failed, or died) starts a template of its own (`zygote`)."""

    def __init__(self, parent, extras):
        self.extras = tuple(sorted(extras))
        self.home = Path(tempfile.mkdtemp(prefix="zyg-", dir=parent))   # 0700: root's alone
        self.path = str(self.home / "socket")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(self.path)
            listener.listen(64)
            self.process = _start_template(self.home, listener, self.extras)

    def kill(self):
        """End the template; its kernels end with it (each dies with its parent)."""
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.wait(5)

    def close(self):
        self.kill()
        shutil.rmtree(self.home, ignore_errors=True)


_zygote = None
SHARED = None   # (socket path, extras) of the grading process's shared template, for its local workers
MACHINE = False   # a Dask worker's grading process: its kernels come from its machine's template


def machine_template(extras):
    """The folder of the template this machine's Dask workers share (for this course
    environment and these `extras`), started by the first that needs it: one template's memory
    instead of one per worker, its pages shared by every kernel (on 2 cores, 0.02 worker-s a
    notebook less than a template per worker). It lives in a folder only root may enter, which no
    sandbox mounts, outlives the worker that started it (so a worker's restart costs the others
    nothing) and exits once no worker is connected (grading/zygote.py: `main`'s `lock`). None
    where the folder is not root's alone."""
    import hashlib
    key = hashlib.sha256(f"{sys.executable}\0{Path(__file__).resolve()}\0{','.join(sorted(extras))}".encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"dl-course-template-{key}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = os.lstat(folder)
    if not (os.path.isdir(folder) and not os.path.islink(folder) and info.st_uid == os.geteuid()
            and info.st_mode & 0o077 == 0):
        return None
    return folder


def _machine_zygote(extras):
    """A connection to this machine's shared template (`machine_template`), started if needed
    (under the folder's lock, which a template leaving also takes); None where there is none."""
    import fcntl
    folder = machine_template(extras)
    if folder is None:
        return None
    path = folder / "socket"
    with open(folder / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(OSError, RuntimeError):
            return Zygote(extras=extras, shared=str(path))
        with contextlib.suppress(FileNotFoundError):
            path.unlink()   # a template that is gone
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(str(path))
            listener.listen(64)
            _start_template(folder, listener, extras, lock=folder / "lock")
        return Zygote(extras=extras, shared=str(path))


def template_alive():
    """Whether this worker's template is still there: its own process runs, or the shared one's
    connection is open (`Zygote.alive`)."""
    return _zygote is not None and _zygote.alive()


def share(shared):
    """In a local worker (its pool's initialiser): use the grading process's template, `shared` =
    (its socket's path, its extras), or None for a template of this worker's own."""
    global SHARED
    SHARED = shared


def zygote(parent=None, extras=None):
    """This worker's zygote: the grading process's shared one (`SHARED`) while it works, else its
    own, started on first use with its home in `parent`, and again if it died or lacks one of the
    `extras` (zygote.EXTRAS' names; None: all of them) a run asks for (a Dask worker's serves run
    after run: it then imports what each run used so far)."""
    global _zygote, SHARED
    wanted = frozenset(EXTRAS if extras is None else extras)
    if _zygote is not None and _zygote.alive() and _zygote.home.is_dir() and wanted <= _zygote.extras:
        return _zygote
    if _zygote is not None:
        if _zygote.process is None:   # the shared template failed this worker: its own from now on
            SHARED = None
        else:
            wanted |= _zygote.extras
        _zygote.close()
    _zygote = None
    if SHARED is not None and wanted <= frozenset(SHARED[1]):
        try:
            _zygote = Zygote(extras=SHARED[1], shared=SHARED[0])
            return _zygote
        except (OSError, RuntimeError):
            SHARED = None
    if MACHINE:
        with contextlib.suppress(OSError, RuntimeError):
            _zygote = _machine_zygote(wanted)
        if _zygote is not None:
            return _zygote
    _zygote = Zygote(parent, wanted)
    return _zygote


def placeholder_pid(process, timeout=30):
    """The pid of the sandbox's placeholder (`sleep`, exec'd once bwrap has set everything up)."""
    bwrap_pid = process.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bubblewrap could not set up the sandbox (exit code {process.returncode})")
        for pid in proc.descendants(bwrap_pid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == "sleep":
                    return pid
        time.sleep(0.002)
    raise RuntimeError("the sandbox did not start within 30 s")


class QuickClient(AsyncKernelClient):
    """jupyter_client's client, less two fixed waits that dominate a forked kernel's start: sockets
    that reconnect every 10 ms (not 100) until the kernel has bound its own, and a drain of the
    start-up messages that does not wait for silence (jupyter_client waits for 200 ms of it; later messages are told apart by
    their parent's id anyway: so it takes only what is already queued)."""

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
        while True:   # what start-up left queued, without waiting for more (nbclient ignores
            try:          # any message whose parent is not the cell it runs)
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break


class SandboxKernelManager(AsyncKernelManager):
    """Hands the connection file to the kernel's own uid (jupyter_client writes it 0600). With a
    `fork_request`, the launched sandbox holds a placeholder, and the kernel is forked into it."""

    fork_request = None
    extras = None     # what its zygote imports beyond what every assignment needs (zygote.EXTRAS)
    timings = None    # {step: seconds} to add "bwrap" and "fork" to (grading/notebook.py: `STEPS`)
    launched = 0.0    # seconds those two took

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        uid = getattr(self, "sandbox_uid", None)
        if uid is not None and proc.own_uid(uid):
            os.chown(self.connection_file, uid, uid)

    async def _async_wait(self, pollinterval=0.005):
        """Wait for the killed sandbox to end, polling every 5 ms (jupyter_client: 100 ms)."""
        await super()._async_wait(pollinterval)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        started = time.perf_counter()
        await super()._async_launch_kernel(kernel_cmd, **kw)
        steps = {}
        if self.fork_request is not None:
            target = placeholder_pid(self.provisioner.process)
            steps["bwrap"] = time.perf_counter() - started
            zygote(Path(self.connection_file).parent.parent.parent, self.extras).fork(
                target=target, **{**self.fork_request, "connection_file": self.connection_file})
            steps["fork"] = time.perf_counter() - started - steps["bwrap"]
        else:
            steps["bwrap"] = time.perf_counter() - started
        self.launched = sum(steps.values())
        if self.timings is not None:
            for step, seconds in steps.items():
                self.timings[step] = self.timings.get(step, 0.0) + seconds


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

    # How a checked message becomes an output (a piped kernel's: pipe_exec.output, no validation
    # again); None: nbclient's own (nbformat's output_from_msg, which validates each output).
    build_output = None

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's `output` (what an output message adds to its cell), with `build_output`."""
        if self.build_output is None or self.output_hook_stack[msg["parent_header"].get("msg_id")]:
            return super().output(outs, msg, display_id, cell_index)
        out = self.build_output(msg)
        if self.clear_before_next_output:
            outs[:] = []
            self.clear_display_id_mapping(cell_index)
            self.clear_before_next_output = False
        if display_id:
            self._display_id_map.setdefault(display_id, {}).setdefault(cell_index, []).append(len(outs))
        outs.append(out)
        return out

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
