"""The bubblewrap command that locks a kernel in a sandbox: nothing is visible, inherited or
reachable unless it is named here.

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

The kernel is started in it by grading/kernel.py and driven by grading/notebook.py.
"""
import itertools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import proc, seccomp
from .verdict import OBSERVE_ENV

REPO = Path(__file__).resolve().parent.parent
# Data folders a notebook may read, exposed read-only inside the sandbox: the repository's data/
# and the folders named by these environment variables (lesson 4's Fashion-MNIST).
DATA_ENV_VARS = ("FASHION_MNIST_DIR",)


def available():
    """bubblewrap is installed and can make a sandbox here."""
    return shutil.which("bwrap") is not None and subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--unshare-net", "true"], capture_output=True).returncode == 0


MEMORY_MB = 4096   # a kernel's memory cap unless --memory-mb says otherwise


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use. Memory is an address-space cap; the working folder,
    /tmp and /dev/shm are size-limited in-memory file systems (so together they hold at most
    disk_mb + tmp_mb + shm_mb of RAM); processes and threads are capped by RLIMIT_NPROC under a
    uid of the kernel's own."""
    memory_mb: int = MEMORY_MB   # set per run by Settings.memory_mb (Settings.kernel_limits)
    disk_mb: int = 512        # the working folder
    tmp_mb: int = 256         # /tmp (and HOME, which lives there)
    shm_mb: int = 64          # /dev/shm
    max_tasks: int = 256      # processes + threads
    cpu_seconds: int = 600    # CPU time of the kernel process
    file_mb: int = 256        # largest single file


KERNEL_UID_BASE = 2**24
_kernel_count = itertools.count()


def sandbox_uid():
    """A uid for the next kernel: a new one for every kernel when the grader is root (worker pid
    and a counter: two live workers never share one, and a worker reuses one only 256 kernels
    later, after `reap` has ended all its processes), else the grader's own uid."""
    if not proc.is_root():
        return os.getuid()
    return KERNEL_UID_BASE + os.getpid() * 256 + next(_kernel_count) % 256


def is_kernel_uid(uid):
    return KERNEL_UID_BASE <= uid < KERNEL_UID_BASE + 2**22 * 256


def kernel_env():
    """The whole environment of a kernel, inside its sandbox: an allow-list, nothing copied from
    the grader's own (which may hold a database URL or a token) but the data folders' variables."""
    env = {"HOME": "/tmp/home", "IPYTHONDIR": "/tmp/home/ipython", "MPLCONFIGDIR": "/tmp/home/mpl",
           "JUPYTER_RUNTIME_DIR": "/tmp/home/runtime", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", OBSERVE_ENV: "1",
           "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "student",
           "LOGNAME": "student"}
    env.update({name: os.environ[name] for name in DATA_ENV_VARS if os.environ.get(name)})
    if os.environ.get("PYTHONPATH"):   # where the grader's helpers come from when not installed (as the zygote's)
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
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
    # site-packages a python adds from elsewhere (the hub's view of a private environment,
    # deploy/user_env.py, adds the environment's): the kernel imports from them too
    inside = [str(p) for p in paths]
    paths += [Path(p) for p in sys.path if p.endswith("site-packages") and os.path.isdir(p)
              and not any(p == top or p.startswith(top + os.sep) for top in inside)]
    return [p for p in dict.fromkeys(p.absolute() for p in paths) if os.path.lexists(p)]


def helpers_folder():
    """Where the kernels' `helpers` package is imported from (the repository's, when installed
    in editable mode, as `make venv` does). Found, not imported: importing it imports torch, 2 s
    of every worker's start."""
    import importlib.util
    spec = importlib.util.find_spec("helpers")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the course's helpers package is not installed: `make venv`")
    return Path(spec.origin).resolve().parent


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
    nproc = limits.max_tasks if proc.own_uid(uid) else proc.tasks_of(uid) + limits.max_tasks
    argv += ["--"]
    if proc.own_uid(uid):   # bwrap sets up the mounts as root, then the kernel drops to its uid
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
