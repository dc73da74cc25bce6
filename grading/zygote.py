"""A template process that has imported torch once, and forks each submission's fresh kernel.

Starting a kernel and importing torch costs about 4 s, more than most notebooks' own work. So each
grading worker starts one zygote (`python -m grading.zygote`, below): it imports the heavy modules
(`PRELOAD`) with the kernels' environment, checks that it runs a single thread (forking a
multi-threaded process is unsafe), then waits for requests from its worker on a socket pair. It
never runs a submission's code and no kernel can reach it.

For each notebook the worker first starts the sandbox exactly as before (bubblewrap with its mounts,
namespaces and working folder: grading/bwrap.py), but with a placeholder (`sleep`) where the
kernel would be. It then asks the zygote for a kernel in that sandbox, sending with the request
the kernel's ends of two pipes (SCM_RIGHTS): the zygote sets its next child's PID namespace to
the sandbox's and forks the kernel (one fork: the zygote is its parent, outside the sandbox). The
kernel joins the sandbox's cgroup (so it and all it starts share the sandbox's memory and process
caps: grading/cgroup.py) and its mount, network, IPC and UTS namespaces, starts a session of its
own, takes the per-kernel resource limits, drops to the kernel's own uid (no capabilities, no new
privileges, no kernel keyring: grading/seccomp.py), closes every inherited descriptor but its two
pipes, and runs its cells in the IPython shell the zygote built before any fork
(grading/cellrunner.py), writing their outputs to the pipe for the worker (grading/pipe_exec.py).
Without pipes (`run_notebook(piped=False)`) it runs ipykernel on a connection file instead.

What keeps students apart:
* every kernel is a fresh fork of a process no submission ever ran in: what a submission changes
  (modules, globals, files it writes in its tmpfs) exists only in its own copy and its own sandbox;
* the kernel sees only its sandbox: it cannot see, signal or trace the zygote or its parent (another
  PID namespace, another uid) and holds no descriptor to them;
* when the kernel exits, the zygote (its parent, which waits on a pidfd per kernel) writes the exit
  status to the worker's scratch folder (outside every sandbox, so a kernel cannot forge it) and
  ends the placeholder, so the sandbox and anything left in it go; when the sandbox is killed
  instead (timeout, watchdog, shutdown), the kernel dies with its PID namespace;
* the template's objects are frozen out of the garbage collector (`gc.freeze`) before the first
  fork, so a kernel's collections never copy the template's pages: kernels share them.
"""
import contextlib
import ctypes
import fcntl
import gc
import json
import os
import re
import resource
import select
import signal
import socket
import struct
import sys

from grading import NO_IMPORT, cellrunner, seccomp

# What a kernel imports for every assignment (about 2.5 s when imported in the kernel itself).
PRELOAD = ("numpy", "torch", "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
           "IPython", "tqdm", "tqdm.auto", "helpers", "helpers.checks")
# And what only some assignments use, imported by the template when the run's assignment mentions it
# (`extras_for`; every one of them when a run does not say): each costs every template its time,
# and a kernel that needs one the template lacks imports it itself (slower, and the same answers).
EXTRAS = {
    # a notebook's first optimiser: torch.optim imports torch._dynamo lazily (1.5-4 s)
    "optim": ("torch._dynamo",),
    "sklearn": ("sklearn.datasets",),   # 1.1 s
    # what ipykernel's start imports: only kernels that are not piped run it (0.4 s)
    "ipykernel": ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "sqlite3", "pdb",
                  "IPython.extensions", "tornado.platform.asyncio"),
}
_MENTIONS = {"optim": re.compile(r"\boptim\b"), "sklearn": re.compile(r"\bsklearn\b")}


def extras_for(texts):
    """The `EXTRAS` an assignment whose notebooks and files read `texts` uses (sorted names)."""
    return tuple(sorted(name for name, mention in _MENTIONS.items() if any(mention.search(t) for t in texts)))
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
ZYGOTE_CWD = os.getcwd()   # `python -m` put it first on sys.path

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
NAMESPACES = ("ipc", "uts", "net", "mnt")   # joined by the kernel; "pid" by its parent (it applies to children)


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _setns(fd):
    _check(_libc.setns(fd, 0), "setns")


def _prctl(option, value):
    _check(_libc.prctl(option, value, 0, 0, 0), "prctl")


def _limit(name, soft, hard=None):
    resource.setrlimit(name, (soft, soft if hard is None else hard))


SETUP_FAILED = "setup failed"   # the status file's text when a kernel could not be set up


PIPE_OUT, PIPE_IN = 3, 4   # a piped kernel's descriptors: its outputs to the worker, its cells from it


def _become_kernel(request, ns_fds, ready, pipes=()):
    """In the kernel process (root, still outside the sandbox's mounts): enter the sandbox, take the
    limits, drop to the kernel's uid, and run the cells it reads from `pipes` (the worker's
    (outputs, cells) pipe ends: grading/cellrunner.py), or without them ipykernel. Never returns."""
    code = 1
    try:
        # The sandbox's cgroup, joined while the host's /sys is in view: what the kernel starts
        # inherits it. (Its parent stays outside, so that killing the group never orphans it.)
        for procs in request.get("cgroup_procs", []):
            with open(procs, "w") as out:
                out.write(str(os.getpid()))
        os.setsid()
        for fd in ns_fds:
            _setns(fd)
            os.close(fd)
        os.chdir(request["cwd"])
        limits = request["limits"]
        _limit(resource.RLIMIT_AS, limits["as"])
        _limit(resource.RLIMIT_FSIZE, limits["fsize"])
        _limit(resource.RLIMIT_CORE, 0)
        _limit(resource.RLIMIT_CPU, limits["cpu"], limits["cpu"] + 5)
        _limit(resource.RLIMIT_NPROC, limits["nproc"])
        uid = request["uid"]
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # after setuid, which clears it
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        seccomp.install()   # no kernel keyring (grading/seccomp.py)
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        # the pipes above every descriptor number in use, then at their own (no cycle of dup2s)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 512) for fd in pipes]
        os.write(ready, b"ok")   # set up: from here on, whatever happens is the notebook's doing
        for fd, target in zip(high, (PIPE_OUT, PIPE_IN)):
            os.dup2(fd, target, inheritable=False)   # a program it execs gets neither
        os.closerange(3 + len(high), 65536)
        os.environ.clear()
        os.environ.update(request["env"])
        for name in [m for m in sys.modules if m == "grading" or m.startswith("grading.")
                     or (m in NO_IMPORT and sys.modules[m] is None)]:
            del sys.modules[name]   # the template's own code and choices: not the kernel's business
        if sys.path and sys.path[0] == ZYGOTE_CWD:   # as ipykernel_launcher, which drops its own
            del sys.path[0]
        # a kernel's command line (read by notebooks that ask whether they run in Jupyter)
        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"]]
        if pipes:
            cellrunner.serve(PIPE_OUT, PIPE_IN)
        cellrunner.forget()   # ipykernel makes its own shell
        from ipykernel.kernelapp import IPKernelApp
        IPKernelApp.launch_instance(argv=sys.argv[1:])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        code = 1
    finally:
        os._exit(code)


class Kernel:
    """A kernel the zygote forked, until it ends: its pid (and a pidfd, which the zygote's loop
    waits on), the request, and the pipe its set-up is reported on."""

    def __init__(self, pid, request, ready):
        self.pid, self.request, self.ready = pid, request, ready
        self.pidfd = os.pidfd_open(pid)

    def end(self):
        """Reap the kernel, write its exit status (or SETUP_FAILED) to its status file, outside
        every sandbox, and end its sandbox (the placeholder)."""
        try:
            _, wait_status = os.waitpid(self.pid, 0)
            set_up = os.read(self.ready, 2) == b"ok"   # the kernel has ended: this never blocks
            _report(self.request, str(wait_status) if set_up else SETUP_FAILED)
        finally:
            for fd in (self.pidfd, self.ready):
                os.close(fd)


def _report(request, text):
    """Write a kernel's status file and end its sandbox (the sandbox's scratch may be gone)."""
    try:
        with open(request["status_file"], "w") as out:
            out.write(text)
    except (OSError, KeyError):
        pass
    try:
        os.kill(request["target"], signal.SIGKILL)   # the placeholder: the sandbox ends with it
    except (OSError, KeyError, TypeError):
        pass


def _fork_kernel(request, pipes=()):
    """In the zygote (root, outside every sandbox): have its next child created in the sandbox's PID
    namespace (one below the zygote's own, so this is allowed for every sandbox in turn), fork the
    kernel, and return it (a `Kernel`), or None when that failed (reported as SETUP_FAILED)."""
    ns_fds, ready = [], None
    try:
        target = request["target"]
        ns_fds = [os.open(f"/proc/{target}/ns/{name}", os.O_RDONLY) for name in NAMESPACES]
        pid_ns = os.open(f"/proc/{target}/ns/pid", os.O_RDONLY)
        try:
            _setns(pid_ns)
        finally:
            os.close(pid_ns)
        ready, done = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready)
            _become_kernel(request, ns_fds, done, pipes)
        os.close(done)
        return Kernel(pid, request, ready)
    except Exception:
        if ready is not None:
            os.close(ready)
        _report(request, SETUP_FAILED)
        return None
    finally:
        for fd in [*ns_fds, *pipes]:   # the kernel's alone: the worker sees their end when the kernel's ends
            os.close(fd)


def _warm_up(torch, optimisers=True):
    """One throwaway training step (of each common optimiser, with `optimisers`), so that what torch
    loads or builds on first use (lazily imported modules, dispatch tables) is in the template, not
    paid by every kernel. Runs only the grader's own code, before any request."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    torch.nn.functional.mse_loss(model(torch.zeros(3, 2)), torch.zeros(3, 1)).backward()
    for optimiser in (torch.optim.SGD, torch.optim.Adam) if optimisers else ():
        opt = optimiser(model.parameters(), lr=0.1)
        torch.nn.functional.mse_loss(model(torch.zeros(3, 2)), torch.zeros(3, 1)).backward()
        opt.step()
        opt.zero_grad()


def receive(channel):
    """The next request on `channel` and the descriptors sent with it (`send`), or (None, [])."""
    header, fds, _, _ = socket.recv_fds(channel, 8, 4)   # the descriptors come with its first bytes
    data, size = bytearray(header), None
    while size is None or len(data) < 8 + size:
        if size is None and len(data) >= 8:
            size = int.from_bytes(data[:8], "big")
            continue
        chunk = channel.recv((8 if size is None else 8 + size) - len(data)) if data else b""
        if not chunk:   # the worker is gone
            for fd in fds:
                os.close(fd)
            return None, []
        data += chunk
    return json.loads(data[8:]), fds


def send(channel, request, fds=()):
    """Send `request` (JSON) and the descriptors `fds` on `channel` (`receive` reads them)."""
    data = json.dumps(request).encode()
    data = len(data).to_bytes(8, "big") + data
    sent = socket.send_fds(channel, [data], list(fds))
    channel.sendall(data[sent:])


def main(fd, extras=(), lock=None):
    """The zygote: preload (`PRELOAD` and the `EXTRAS` named), then fork one kernel per request read
    from socket `fd` (`receive`): its worker's end of a socket pair, or (a template the grading
    process shares among its local workers: grading/kernel.py, `Shared`) a listening socket each
    worker connects to, as root, once the imports are done.

    With `lock` (the path of its folder's lock file: the template the Dask workers of one machine
    share, grading/kernel.py's `machine_template`) it outlives the worker that started it, and
    exits once no worker is connected and none of its kernels lives, unless a worker holds the
    lock (it is connecting)."""
    import importlib
    channel = socket.socket(fileno=fd)
    listening = channel.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    if lock is None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # dies with its worker (or its grading process)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    try:
        for name in PRELOAD + tuple(m for extra in extras for m in EXTRAS[extra]):
            importlib.import_module(name)
        import torch
        torch.set_num_threads(1)
        _warm_up(torch, optimisers="optim" in extras)
        cellrunner.prepare()   # the shell a piped kernel runs its cells in
        gc.collect()
        gc.freeze()   # what the template holds is never traversed again: its pages stay shared with the kernels
        threads = len(os.listdir("/proc/self/task"))
        if threads != 1:
            raise RuntimeError(f"the zygote runs {threads} threads after its imports; forking it is unsafe")
    except Exception as err:
        error = (json.dumps({"error": f"{type(err).__name__}: {err}"}) + "\n").encode()
        if listening:   # its workers find it gone and start templates of their own, which say why
            sys.stderr.write(error.decode())
        else:
            channel.sendall(error)
        return 1
    kernels, workers = {}, {}   # pidfd: Kernel; fd: a worker's channel
    poller = select.poll()
    poller.register(channel, select.POLLIN)
    if not listening:
        channel.sendall(b'{"ready": true}\n')
        workers[channel.fileno()] = channel
    while True:
        alone = lock is not None and not workers and not kernels
        if alone and _last_out(lock, channel):
            return 0
        for fd, _ in poller.poll(1000 if alone else None):   # (alone: looks again whether it may go)
            if fd in kernels:   # a kernel ended
                poller.unregister(fd)
                kernels.pop(fd).end()
                continue
            if listening and fd == channel.fileno():
                _accept(channel, workers, poller)
                continue
            worker = workers[fd]
            try:
                request, fds = receive(worker)
                if request is not None:
                    kernel = _fork_kernel(request, fds)
                    if kernel is not None:
                        kernels[kernel.pidfd] = kernel
                        poller.register(kernel.pidfd, select.POLLIN)
                    answer = {"pid": kernel.pid} if kernel else {"error": "the kernel could not be forked into its sandbox"}
                    worker.sendall((json.dumps(answer) + "\n").encode())
                    continue
            except (OSError, ValueError):   # its connection broke, or it sent what is not a request
                pass
            # this worker is gone: a shared template goes on serving the others
            if not listening:
                return 0
            poller.unregister(fd)
            workers.pop(fd).close()


def _last_out(lock, listener):
    """Whether a machine's shared template may exit: no worker holds its lock (none is connecting),
    nor is waiting in its socket's queue. Then its socket is removed (the next worker starts a new
    template) and the lock is held until it exits."""
    try:
        handle = os.open(lock, os.O_RDWR)
    except OSError:   # its folder is gone: no worker can find it any more
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        return False
    if select.select([listener], [], [], 0)[0]:   # one connected before it took the lock
        os.close(handle)
        return False
    with contextlib.suppress(OSError):
        os.unlink(listener.getsockname())
    return True   # (the lock is released as the process exits)


def _accept(listener, workers, poller):
    """Take a worker's connection to a shared template: root's only (the socket's folder is root's
    alone too, and no sandbox mounts it), answered with "ready"."""
    worker, _ = listener.accept()
    uid = struct.unpack("3i", worker.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]
    if uid != 0:
        worker.close()
        return
    worker.sendall(b'{"ready": true}\n')
    workers[worker.fileno()] = worker
    poller.register(worker, select.POLLIN)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), tuple(e for e in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if e),
                  sys.argv[3] if len(sys.argv) > 3 else None))
