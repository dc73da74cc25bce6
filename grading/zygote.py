"""A template process that has imported torch once, and forks each submission's fresh kernel.

Starting a kernel and importing torch costs about 4 s, more than most notebooks' own work. So each
grading worker starts one zygote (`python -m grading.zygote`, below): it imports the heavy modules
(`PRELOAD`) with the kernels' environment, checks that it runs a single thread (forking a
multi-threaded process is unsafe), then waits for requests from its worker on a socket pair. It
never runs a submission's code and no kernel can reach it.

For each notebook the worker first starts the sandbox exactly as before (bubblewrap with its mounts,
namespaces and working folder: grading/bwrap.py), but with a placeholder (`sleep`) where the
kernel would be. It then asks the zygote for a kernel in that sandbox; the zygote forks a child
(root, outside the sandbox) which joins the sandbox's PID namespace and forks the kernel. The
kernel joins the sandbox's mount, network, IPC and UTS namespaces, starts a session of its own,
takes the per-kernel resource limits, drops to the kernel's own uid (no capabilities, no new
privileges, no kernel keyring: grading/seccomp.py), closes every inherited descriptor, and runs
ipykernel on the connection file. The kernel joins the sandbox's cgroup first, so it and all it
starts share the sandbox's memory and process caps (grading/cgroup.py).

What keeps students apart:
* every kernel is a fresh fork of a process no submission ever ran in: what a submission changes
  (modules, globals, files it writes in its tmpfs) exists only in its own copy and its own sandbox;
* the kernel sees only its sandbox: it cannot see, signal or trace the zygote or its parent (another
  PID namespace, another uid) and holds no descriptor to them;
* when the kernel exits, its parent writes the exit status to the worker's scratch folder (outside
  every sandbox, so a kernel cannot forge it) and ends the placeholder, so the sandbox and anything
  left in it go; when the sandbox is killed instead (timeout, watchdog, shutdown), the kernel dies
  with its PID namespace.
"""
import ctypes
import json
import os
import resource
import signal
import socket
import sys

from grading import seccomp

# What a kernel imports for every assignment (about 4 s when imported in the kernel itself).
# torch._dynamo is what a notebook's first optimiser costs (about 2-4 s: torch.optim imports it lazily).
PRELOAD = ("numpy", "torch", "torch._dynamo", "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
           "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "sklearn.datasets",
           "sqlite3", "pdb", "IPython.extensions", "tornado.platform.asyncio",   # what ipykernel's start imports
           "tqdm", "tqdm.auto",
           "helpers", "helpers.checks")
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


def _become_kernel(request, ns_fds, ready):
    """In the kernel process (root, still outside the sandbox's mounts): enter the sandbox, take the
    limits, drop to the kernel's uid, and run ipykernel. Never returns."""
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
        os.write(ready, b"ok")   # set up: from here on, whatever happens is the notebook's doing
        os.closerange(3, 65536)
        os.environ.clear()
        os.environ.update(request["env"])
        for name in [m for m in sys.modules if m == "grading" or m.startswith("grading.")]:
            del sys.modules[name]   # the template's own code: not the kernel's business
        if sys.path and sys.path[0] == ZYGOTE_CWD:   # as ipykernel_launcher, which drops its own
            del sys.path[0]
        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"]]
        from ipykernel.kernelapp import IPKernelApp
        IPKernelApp.launch_instance(argv=sys.argv[1:])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _serve_one(request):
    """In the zygote's child (root, outside the sandbox): join the sandbox's PID namespace, fork the
    kernel, wait for it, report its exit status, and end the sandbox. Never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        target = request["target"]
        ns_fds = [os.open(f"/proc/{target}/ns/{name}", os.O_RDONLY) for name in NAMESPACES]
        pid_ns = os.open(f"/proc/{target}/ns/pid", os.O_RDONLY)
        _setns(pid_ns)
        os.close(pid_ns)
        ready, done = os.pipe()
        kernel = os.fork()
        if kernel == 0:
            os.close(ready)
            _become_kernel(request, ns_fds, done)
        os.close(done)
        for fd in ns_fds:
            os.close(fd)
        set_up = os.read(ready, 2) == b"ok"
        _, wait_status = os.waitpid(kernel, 0)
        with open(request["status_file"], "w") as out:
            out.write(str(wait_status) if set_up else SETUP_FAILED)
        code = 0
    except Exception:
        with open(request["status_file"], "w") as out:
            out.write(SETUP_FAILED)
    finally:
        try:
            os.kill(request["target"], signal.SIGKILL)   # the placeholder: the sandbox ends with it
        except (OSError, KeyError):
            pass
        os._exit(code)


def _warm_up(torch):
    """One throwaway training step of each common optimiser, so that what torch loads or builds on
    first use (lazily imported modules, dispatch tables) is in the template, not paid by every
    kernel. Runs only the grader's own code, before any request."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    for optimiser in (torch.optim.SGD, torch.optim.Adam):
        opt = optimiser(model.parameters(), lr=0.1)
        torch.nn.functional.mse_loss(model(torch.zeros(3, 2)), torch.zeros(3, 1)).backward()
        opt.step()
        opt.zero_grad()


def main(fd):
    """The zygote: preload, then fork one kernel per request read from socket `fd` (JSON lines)."""
    import importlib
    channel = socket.socket(fileno=fd)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # dies with its worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    try:
        for name in PRELOAD:
            importlib.import_module(name)
        import torch
        torch.set_num_threads(1)
        _warm_up(torch)
        threads = len(os.listdir("/proc/self/task"))
        if threads != 1:
            raise RuntimeError(f"the zygote runs {threads} threads after its imports; forking it is unsafe")
    except Exception as err:
        channel.sendall((json.dumps({"error": f"{type(err).__name__}: {err}"}) + "\n").encode())
        return 1
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # children are reaped by the kernel
    channel.sendall(b'{"ready": true}\n')
    reader = channel.makefile("r")
    for line in reader:
        request = json.loads(line)
        try:
            child = os.fork()
        except OSError as err:
            channel.sendall((json.dumps({"error": f"fork failed: {err}"}) + "\n").encode())
            continue
        if child == 0:
            reader.close()
            channel.close()
            _serve_one(request)
        channel.sendall((json.dumps({"pid": child}) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
