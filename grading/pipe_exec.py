"""The worker's side of a piped kernel: a kernel forked from the zygote that runs its cells in an
IPython shell and writes their outputs to a pipe (grading/cellrunner.py is the kernel's side),
instead of ipykernel and the Jupyter protocol over ZeroMQ.

`PipedKernel` starts the sandbox (bubblewrap with its placeholder, grading/bwrap.py), has the
worker's zygote fork the kernel into it with two pipes (cells in, outputs out), sends one cell at a
time and reads its outputs until the cell's `done`, and ends the sandbox. It answers as nbclient
does, so grading/notebook.py drives both kinds of kernel with one loop: each output goes through
`CappedClient.process_message` (the same caps: a cell's bytes, a test's observations, the
notebook's, display updates), a cell past its time raises `CellTimeoutError`, a kernel whose pipe
ends (it exited, crashed or was killed) `DeadKernelError`.

Whatever the kernel writes is read as untrusted: a message longer than `MAX_FRAME` is skipped
unread (its cell says it lost output, as any capped cell), and one that is not JSON or not the
shape of its type (`parse`) ends the kernel as the notebook's error (`MalformedOutput`), never the
grader's crash. The verdict never reads anything here but the observations in the outputs.
"""
import json
import os
import re
import select
import signal
import subprocess
import time
from datetime import datetime, timezone

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .cells import error_output
from .kernel import placeholder_pid, zygote

# The largest message read (a test's observations are capped at 2 MB, a cell's output at 200 kB;
# a stream message is at most 64 k characters): one larger is skipped unread and its cell capped.
MAX_FRAME = 8 * 2**20
OVERSIZE = object()   # what `Frames.feed` yields for a message it skipped

OUTPUTS = ("stream", "display_data", "update_display_data", "execute_result", "error", "clear_output")


class MalformedOutput(DeadKernelError):
    """The kernel wrote something that is not a message of the protocol: the notebook's doing."""


def _reject(constant):
    raise ValueError(f"{constant} is not JSON")


def _strings(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# nbformat's schema (v4 `mimebundle`): these types hold any JSON, the others text (matched with
# `re.search`, as jsonschema matches `patternProperties`)
_JSON_MIME = re.compile(r"^application/(.*\+)?json$")


def _bundle(data):
    """A mime bundle as nbformat keeps it: JSON types hold any JSON, the others text."""
    return isinstance(data, dict) and all(
        isinstance(key, str) and (_JSON_MIME.search(key) or isinstance(value, str) or _strings(value))
        for key, value in data.items())


def _count(content):
    """An execute_result's prompt number, as nbformat's schema has it: a count from 0, or null."""
    count = content.get("execution_count", False)
    return count is None or (type(count) is int and count >= 0)


def _valid(kind, content):
    if kind == "stream":
        return content.get("name") in ("stdout", "stderr") and isinstance(content.get("text"), str)
    if kind in ("display_data", "update_display_data", "execute_result"):
        transient = content.get("transient") or {}
        return (_bundle(content.get("data")) and isinstance(content.get("metadata", {}), dict)
                and isinstance(transient, dict) and isinstance(transient.get("display_id", ""), (str, int))
                and (kind != "execute_result" or _count(content)))
    if kind == "error":
        return (isinstance(content.get("ename"), str) and isinstance(content.get("evalue"), str)
                and _strings(content.get("traceback")))
    if kind == "clear_output":
        return isinstance(content.get("wait", False), bool)
    if kind == "done":
        return content.get("status") in ("ok", "error") and all(
            isinstance(content.get(key, ""), str) for key in ("ename", "evalue"))
    return False


def parse(raw):
    """One message read from the kernel, as nbclient's `process_message` takes it; raises
    `MalformedOutput` for anything else. What it accepts makes an output that nbformat's schema
    accepts (tests/test_pipe_exec.py tries that on generated messages), so `output` builds outputs
    without validating each again."""
    try:
        message = json.loads(raw, parse_constant=_reject)
    except (ValueError, RecursionError) as err:
        raise MalformedOutput(f"the kernel wrote a message that is not JSON ({type(err).__name__})") from None
    kind = message.get("msg_type") if isinstance(message, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(kind, str) or not isinstance(content, dict) or not _valid(kind, content):
        raise MalformedOutput(f"the kernel wrote a malformed message ({str(kind)[:40]!r})")
    if kind in ("display_data", "update_display_data", "execute_result"):
        content.setdefault("metadata", {})
    return {"msg_type": kind, "header": {"msg_type": kind}, "parent_header": {}, "metadata": {},
            "content": content, "buffers": []}


# The fields nbformat's output_from_msg reads from each kind of output message
_FIELDS = {"execute_result": ("metadata", "data", "execution_count"), "stream": ("name", "text"),
           "display_data": ("metadata", "data"), "error": ("ename", "evalue", "traceback")}


def output(msg):
    """nbformat.v4's `output_from_msg` for a message `parse` accepted, less its jsonschema
    validation of every output (0.1 ms each, a third of a worker's own time a notebook)."""
    kind, content = msg["msg_type"], msg["content"]
    return nbformat.from_dict({"output_type": kind, **{field: content[field] for field in _FIELDS[kind]}})


class Frames:
    """Splits what is read from the pipe into messages (length-prefixed JSON: cellrunner.frame)."""

    def __init__(self, max_frame=MAX_FRAME):
        self.max_frame, self.buffer, self.skipping = max_frame, bytearray(), 0

    def feed(self, data):
        """The messages (or OVERSIZE) completed by `data`, in order."""
        if self.skipping:
            dropped = min(self.skipping, len(data))
            self.skipping -= dropped
            data = data[dropped:]
        self.buffer += data
        out = []
        while len(self.buffer) >= 4:
            size = int.from_bytes(self.buffer[:4], "big")
            if size > self.max_frame:
                out.append(OVERSIZE)
                dropped = min(len(self.buffer) - 4, size)
                self.skipping = size - dropped
                del self.buffer[:4 + dropped]
                continue
            if len(self.buffer) < 4 + size:
                break
            raw = bytes(self.buffer[4:4 + size])
            del self.buffer[:4 + size]
            out.append(parse(raw))
        return out


def _now():
    """The time now, as nbclient writes it into a cell's timing metadata."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def mark_reply_errors(cell, cell_index, execute_reply):
    """Record an error reply as an error output even if the submission hid its traceback."""
    content = execute_reply.get("content", {})
    if content.get("status") == "error" and not any(o.output_type == "error" for o in cell.outputs):
        cell.outputs.append(error_output(str(content.get("ename", "Error"))[:200],
                                         str(content.get("evalue", ""))[:2000] or "an error occurred while tracebacks were hidden"))


def encode(request):
    data = json.dumps(request).encode("utf-8", "replace")
    return len(data).to_bytes(4, "big") + data


class PipedKernel:
    """One notebook's kernel, forked into its sandbox and driven over two pipes."""

    def __init__(self, argv, fork_request, client, zygote_home, timings=None, extras=None, before_fork=None):
        self.argv, self.fork_request, self.client, self.extras = argv, fork_request, client, extras
        self.before_fork = before_fork   # called once bubblewrap runs, before the kernel is forked
        self.zygote_home, self.timings = zygote_home, timings if timings is not None else {}
        self.process, self.out_fd, self.in_fd = None, None, None
        self.frames, self.backlog, self.count = Frames(), [], 0
        self.launched = 0.0   # seconds "bwrap" and "fork" took

    def start(self):
        """Start the sandbox and fork the kernel into it (times added as "bwrap" and "fork")."""
        started = time.perf_counter()
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        target = placeholder_pid(self.process)
        if self.before_fork is not None:   # (the worker's last sandbox removed: grading/notebook.py)
            self.before_fork()
        forked = time.perf_counter()
        self._add("bwrap", forked - started)
        out_r, out_w = os.pipe()
        in_r, in_w = os.pipe()
        try:
            zygote(self.zygote_home, self.extras).fork(pipes=(out_w, in_r), target=target, **self.fork_request)
        except BaseException:
            for fd in (out_r, in_w):
                os.close(fd)
            raise
        finally:
            for fd in (out_w, in_r):   # the kernel's ends: its end is their end
                os.close(fd)
        self.out_fd, self.in_fd = out_r, in_w
        os.set_blocking(self.in_fd, False)
        self._add("fork", time.perf_counter() - forked)
        self.launched = time.perf_counter() - started

    def _add(self, step, seconds):
        self.timings[step] = self.timings.get(step, 0.0) + seconds

    def execute_cell(self, cell, index, timeout):
        """Run `cell` and put its outputs in it, as nbclient's `execute_cell`."""
        cell.outputs = []
        self.client.clear_before_next_output = False   # as nbclient starts each cell
        self.count += 1
        # when the cell ran, in nbclient's timing metadata (the report's time to grade reads it);
        # taken here, in the worker, not from anything the kernel says
        cell.setdefault("metadata", {})["execution"] = {"iopub.execute_input": _now()}
        pending = memoryview(encode({"code": cell.source}))
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(self.out_fd, select.POLLIN)
        poller.register(self.in_fd, select.POLLOUT)
        backlog, self.backlog = self.backlog, []
        if self._handle(backlog, cell, index):
            return
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CellTimeoutError(f"a cell ran longer than {timeout} s")
            for fd, events in poller.poll(max(left * 1000, 1)):
                if fd == self.in_fd:
                    try:
                        pending = pending[os.write(self.in_fd, pending):]
                    except BlockingIOError:
                        continue
                    except OSError:   # the kernel closed its end: its output's end tells why
                        pending = pending[:0]
                    if not pending:
                        poller.unregister(self.in_fd)
                    continue
                data = os.read(self.out_fd, 1 << 20)
                if not data:
                    raise DeadKernelError("the kernel died")
                if self._handle(self.frames.feed(data), cell, index):
                    return

    def _handle(self, messages, cell, index):
        """Put `messages` into `cell`; True when one says the cell is done (the rest wait)."""
        for position, message in enumerate(messages):
            if message is OVERSIZE:
                self.client._cap(cell, index)
            elif message["msg_type"] == "done":
                self.backlog = messages[position + 1:]
                cell.execution_count = self.count
                cell.metadata.setdefault("execution", {})["shell.execute_reply"] = _now()
                mark_reply_errors(cell, index, message)
                return True
            else:
                self.client.process_message(message, cell, index)
        return False

    def shutdown(self):
        """End the sandbox (and the kernel with its PID namespace); close the pipes."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
            self.process.wait()
        for fd in (self.out_fd, self.in_fd):
            if fd is not None:
                os.close(fd)
        self.out_fd = self.in_fd = None
