"""Inside the sandbox: a forked kernel runs its notebook's cells in an IPython shell and writes
their outputs to a pipe, one framed JSON message per output. No ipykernel, ZeroMQ or Jupyter
protocol: the shell is built once in the zygote, before any fork (`prepare`), so a forked kernel
starts on its first cell at once (`serve`).

The pipe carries length-prefixed JSON (`frame`): four bytes of length, big-endian, then
{"msg_type": ..., "content": ...} with Jupyter's message types and contents, so the worker turns
them into nbformat outputs as nbclient does (grading/pipe_exec.py):

    stream               {"name": "stdout" or "stderr", "text"}    print, and fds 1 and 2
    display_data         {"data", "metadata", "transient"}        display(), plt.show(), checks'
                                                                  observations (OBSERVATION_MIME)
    update_display_data  {"data", "metadata", "transient"}        update_display()
    clear_output         {"wait"}
    execute_result       {"data", "metadata", "execution_count"}  a cell's last value
    error                {"ename", "evalue", "traceback"}
    done                 {"status": "ok" or "error", "ename", "evalue"}   the cell has ended

The cells come the other way, one frame {"code": source} at a time, each sent when the previous
one is done; the end of that pipe ends the kernel. What is written to descriptors 1 and 2 (C
code, subprocesses, forked children) is read by a thread here and sent as stream text.

Everything here runs in the student's process, so a submission can change any of it or write
anything into the pipe: the worker trusts nothing it reads (it caps, validates and times out),
and the verdict is decided from observations compared with the reference's, outside.
"""
import codecs
import ctypes
import json
import os
import select
import signal
import sys
import threading

CHUNK = 65536      # characters of stream text per message (larger writes are split)
FD_STDOUT, FD_STDERR = 1, 2

_shell = None      # the shell `prepare` built in the zygote, used by every kernel forked from it
_channel = None    # the kernel's pipe to its worker (`serve`)


def frame(kind, content):
    """One message as it travels on the pipe: length (4 bytes, big-endian), then JSON."""
    from jupyter_client.jsonutil import json_default
    data = json.dumps({"msg_type": kind, "content": content}, default=json_default, allow_nan=False,
                      ensure_ascii=False).encode("utf-8", "replace")
    return len(data).to_bytes(4, "big") + data


def read_frame(fd):
    """The next message read from `fd` (blocking), or None at its end."""
    header = _read_exactly(fd, 4)
    if header is None:
        return None
    data = _read_exactly(fd, int.from_bytes(header, "big"))
    return None if data is None else json.loads(data)


def _read_exactly(fd, size):
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Channel:
    """The kernel's side of its output pipe. Only the kernel process writes messages: a process
    it forks (a DataLoader worker, a fork bomb) writes its text to the descriptors instead."""

    def __init__(self, fd):
        self.fd, self.pid, self.lock = fd, os.getpid(), threading.RLock()

    def send(self, kind, content):
        if os.getpid() != self.pid:
            return
        data = frame(kind, content)
        with self.lock:
            _write_all(self.fd, data)


class Stream:
    """sys.stdout or sys.stderr of a forked kernel: text is buffered and sent as `stream`
    messages of at most CHUNK characters (before any other output, and when its cell ends)."""

    encoding, errors, newlines = "utf-8", "replace", None

    def __init__(self, channel, name, fd):
        self.channel, self.stream, self.fd, self.pid = channel, name, fd, os.getpid()
        self.parts, self.size = [], 0

    name = property(lambda self: f"<{self.stream}>")
    closed = property(lambda self: False)

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if os.getpid() != self.pid:   # a forked child: straight to the descriptor (relayed)
            _write_all(self.fd, text.encode("utf-8", "replace"))
            return len(text)
        with self.channel.lock:
            self.parts.append(text)
            self.size += len(text)
            if self.size >= CHUNK:
                self.flush()
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if os.getpid() != self.pid:
            return
        with self.channel.lock:
            text, self.parts, self.size = "".join(self.parts), [], 0
            for start in range(0, len(text), CHUNK):
                self.channel.send("stream", {"name": self.stream, "text": text[start:start + CHUNK]})

    def fileno(self):
        return self.fd

    def isatty(self):
        return False

    def readable(self):
        return False

    def writable(self):
        return True

    def seekable(self):
        return False


class Relay(threading.Thread):
    """Sends what is written to descriptors 1 and 2 as stream text of the running cell."""

    def __init__(self, channel, streams):
        super().__init__(daemon=True, name="fd-relay")
        self.channel, self.sources = channel, {}
        for fd, stream in streams.items():
            read_end, write_end = os.pipe()
            os.dup2(write_end, fd)
            os.close(write_end)
            self.sources[read_end] = (stream, codecs.getincrementaldecoder("utf-8")("replace"))
        self.waiting = select.poll()   # this thread's alone (a poll object is not shared)
        for read_end in self.sources:
            self.waiting.register(read_end, select.POLLIN)

    def run(self):
        while True:
            for read_end, events in self.waiting.poll():
                if not events & select.POLLIN:   # closed by the notebook: nothing more to read
                    self.waiting.unregister(read_end)
            self.drain()

    def drain(self):
        """Send what the descriptors hold now (reads only under the lock, so never blocks)."""
        with self.channel.lock:
            ready, _, _ = select.select(list(self.sources), [], [], 0)
            for read_end in ready:
                stream, decoder = self.sources[read_end]
                try:
                    data = os.read(read_end, CHUNK)
                except OSError:
                    data = b""
                if not data:
                    del self.sources[read_end]
                    continue
                stream.flush()
                stream.channel.send("stream", {"name": stream.stream, "text": decoder.decode(data)})


def _flush_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def prepare():
    """In the zygote, before any fork: the shell every kernel runs its cells in, with the inline
    matplotlib backend and outputs that go to the pipe. Starts no thread (the zygote must fork
    with one) and keeps no history."""
    global _shell
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from ipykernel.jsonutil import encode_images
    from traitlets import Type
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            _flush_streams()
            _channel.send("update_display_data" if update else "display_data",
                          {"data": encode_images(data), "metadata": metadata or {}, "transient": transient or {}})

        def clear_output(self, wait=False):
            _flush_streams()
            _channel.send("clear_output", {"wait": bool(wait)})

    class Hook(DisplayHook):
        msg = None

        def start_displayhook(self):
            self.msg = {"data": {}, "metadata": {}, "execution_count": self.prompt_count}

        def write_output_prompt(self):
            self.msg["execution_count"] = self.prompt_count

        def write_format_data(self, format_dict, md_dict=None):
            self.msg["data"], self.msg["metadata"] = encode_images(format_dict), md_dict or {}

        def finish_displayhook(self):
            _flush_streams()
            if self.msg and self.msg["data"]:
                _channel.send("execute_result", self.msg)
            self.msg = None

    class Shell(InteractiveShell):
        displayhook_class = Type(Hook)
        display_pub_class = Type(Publisher)

        def enable_gui(self, gui=None):   # the inline backend needs no event loop
            pass

        def _showtraceback(self, etype, evalue, stb):
            _flush_streams()
            _channel.send("error", {"ename": str(etype.__name__), "evalue": str(evalue), "traceback": stb})

    config = Config()
    config.HistoryManager.enabled = False          # no sqlite file, no saving thread
    config.InteractiveShell.autoindent = False
    config.InteractiveShell.xmode = "Context"   # Jupyter's layout: each frame with its lines and an arrow
    # Plain text: IPython highlights each frame's lines with a lexer class it builds anew every time
    # (about 25 ms a traceback, and every failed test has one)
    config.InteractiveShell.colors = "NoColor"
    _shell = Shell.instance(config=config)
    _shell.enable_matplotlib("inline")
    _index_modules_once()
    _warm_tracebacks(_shell)
    return _shell


def _index_modules_once():
    """Make `inspect.getmodule` skip its scan of sys.modules when no module came or went since the
    last one. A traceback asks it for every frame, and for a frame of a cell (whose file no module
    has) it scans all the 2,000 modules torch brings, every time: 12 ms of each traceback. The
    answer is unchanged (the scan only looks for modules whose files it has not seen yet)."""
    import inspect
    if getattr(inspect.getmodule, "indexed", False):
        return
    scan, scanned = inspect.getmodule, [None]

    def getmodule(object, _filename=None):
        if not inspect.ismodule(object) and not hasattr(object, "__module__") and not hasattr(object, "__name__") \
                and scanned[0] == len(sys.modules):
            try:
                file = inspect.getabsfile(object, _filename)
            except (TypeError, FileNotFoundError):
                return None
            if file not in inspect.modulesbyfile:
                return None   # what the scan would answer: no new module, and a frame has no name to look up
        scanned[0] = len(sys.modules)
        return scan(object, _filename)

    getmodule.indexed = True
    inspect.getmodule = getmodule


def _warm_tracebacks(shell):
    """Format one traceback through a cell and helpers.checks here, so that every kernel inherits
    what its first traceback would build (inspect's index of modules, the parsed source of
    helpers/checks.py, IPython's and stack_data's lazy imports) instead of paying for it."""
    import helpers.checks
    code = "def warm_up(x):\n    return helpers.checks.to_floats(x)\nwarm_up('x')\n"
    try:
        exec(compile(code, shell.compile.cache(code), "exec"), {"helpers": helpers})
    except AssertionError:
        shell.InteractiveTB.structured_traceback(*sys.exc_info())


def forget():
    """Drop the prepared shell (a kernel that runs ipykernel instead makes its own)."""
    from IPython.core.interactiveshell import InteractiveShell
    InteractiveShell.clear_instance()


def serve(out_fd, in_fd):
    """In a forked kernel, set up (its uid, limits and descriptors as grading/zygote.py left
    them): run each cell read from `in_fd`, write its outputs and then `done` to `out_fd`; exit
    when `in_fd` ends. Never returns."""
    global _channel
    _channel = channel = Channel(out_fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stdout = Stream(channel, "stdout", FD_STDOUT)
    sys.stderr = Stream(channel, "stderr", FD_STDERR)
    relay = Relay(channel, {FD_STDOUT: sys.stdout, FD_STDERR: sys.stderr})
    relay.start()
    libc = ctypes.CDLL(None)
    shell = _shell
    while True:
        request = read_frame(in_fd)
        if not isinstance(request, dict):
            break
        result = shell.run_cell(str(request.get("code", "")), store_history=True)
        libc.fflush(None)   # C's stdio buffers, into descriptors 1 and 2
        _flush_streams()
        relay.drain()
        error = result.error_before_exec or result.error_in_exec
        done = {"status": "ok" if error is None else "error"}
        if error is not None:
            try:
                done.update(ename=type(error).__name__, evalue=str(error))
            except Exception:
                done.update(ename="Error", evalue="")
        channel.send("done", done)
    sys.stdout.flush()
    os._exit(0)
