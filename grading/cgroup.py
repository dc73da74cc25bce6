"""One control group per sandbox: its memory and its processes are capped as a whole.

Resource limits (setrlimit) apply to one process at a time, so 256 processes of 4 GB each were
allowed. A cgroup caps the sum: every process of the sandbox joins it before the kernel starts
(the zygote's child writes its own pid into `procs` before forking the kernel; a started kernel's
wrapper does the same before exec'ing bubblewrap), and what it spends is read from the group,
from outside. The memory cap covers what its tmpfs mounts hold too (shmem is charged to the
group that wrote it). cgroup v2 where the machine mounts it with the memory and pids
controllers; else v1's memory and pids hierarchies (both need root).
"""
import contextlib
import errno
import functools
import os
import time
from pathlib import Path

from .proc import is_root, kill_all

ROOT = Path("/sys/fs/cgroup")
PARENT = "dl-course-grading"   # every sandbox's group lives below this one


def _v2_root():
    controllers = ROOT / "cgroup.controllers"
    with contextlib.suppress(OSError):
        if {"memory", "pids"} <= set(controllers.read_text().split()):
            return ROOT
    return None


def _v1_roots():
    memory, pids = ROOT / "memory", ROOT / "pids"
    if (memory / "memory.limit_in_bytes").exists() and (pids / "cgroup.procs").exists():
        return memory, pids
    return None


def _writable(folder):
    return os.access(folder, os.W_OK)


@functools.lru_cache(maxsize=None)
def available():
    """Whether this process can make a group per sandbox (root, with v2 or v1's controllers)."""
    if not is_root():
        return False
    v2 = _v2_root()
    if v2 is not None:
        return _writable(v2)
    v1 = _v1_roots()
    return v1 is not None and all(_writable(root) for root in v1)


def name_for(folder):
    """The group's name for a sandbox whose scratch folder is `folder`: its path, so that what a
    run leaves behind can be found from the run's folder (`left_below`)."""
    return str(Path(folder).absolute()).strip("/").replace("/", "-")


def left_below(folder):
    """The groups of sandboxes whose scratch folders were below `folder` that still exist."""
    prefix = name_for(folder) + "-"
    parents = [ROOT / PARENT, ROOT / "memory" / PARENT, ROOT / "pids" / PARENT]
    return sorted(str(group) for parent in parents if parent.is_dir()
                  for group in parent.iterdir() if group.is_dir() and group.name.startswith(prefix))


class Group:
    """The cgroup of one sandbox: `memory_bytes` of memory (swap included where it can be
    capped) and `max_tasks` processes and threads."""

    def __init__(self, name, memory_bytes, max_tasks):
        self.memory_bytes, self.max_tasks, self.folders = memory_bytes, max_tasks, []
        try:
            self._create(name, memory_bytes, max_tasks)
        except OSError:
            self.close()
            raise

    def _create(self, name, memory_bytes, max_tasks):
        v2 = _v2_root()
        if v2 is not None:
            parent = v2 / PARENT
            parent.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):   # already enabled, or enabled by the system
                (v2 / "cgroup.subtree_control").write_text("+memory +pids")
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
            self.folders.append(parent / name)
            self.folders[0].mkdir()
            self._set("memory.max", memory_bytes)
            self._set("memory.swap.max", 0, optional=True)
            self._set("pids.max", max_tasks)
            self.version = 2
        else:
            memory, pids = _v1_roots()
            for folder in (memory / PARENT / name, pids / PARENT / name):
                folder.mkdir(parents=True)
                self.folders.append(folder)
            self._set("memory.limit_in_bytes", memory_bytes)
            self._set("memory.memsw.limit_in_bytes", memory_bytes, optional=True)
            self._set("pids.max", max_tasks)
            self.version = 1

    def _file(self, name):
        for folder in self.folders:
            if (folder / name).exists():
                return folder / name
        raise FileNotFoundError(name)

    def _set(self, name, value, optional=False):
        try:
            self._file(name).write_text(str(value))
        except OSError:
            if not optional:
                raise

    @property
    def procs(self):
        """The files a process writes its pid into to join this group (one per hierarchy)."""
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def _counter(self, name, key):
        with contextlib.suppress(OSError, ValueError):
            for line in self._file(name).read_text().splitlines():
                field, _, value = line.partition(" ")
                if field == key:
                    return int(value)
        return 0

    def oom_kills(self):
        """How many of the sandbox's processes the kernel killed for its memory cap."""
        return self._counter("memory.events" if self.version == 2 else "memory.oom_control", "oom_kill")

    def tasks_refused(self):
        """How many forks or thread starts its process cap refused."""
        return self._counter("pids.events", "max")

    def peak_memory(self):
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            return int(self._file(name).read_text())
        return 0

    def kill(self):
        """SIGKILL every process in the group (once: one that joins later is `close`'s)."""
        kill_all(_pids_in(self.folders))

    def close(self, timeout=10):
        """Kill whatever is left in the group, then remove it."""
        remove(self.folders, timeout)


# Between rounds of `remove`: a killed kernel leaves its group once its memory is unmapped, within
# 10-20 ms, so the pauses start short and grow (the worker's next kernel waits for the removal).
PAUSE, MAX_PAUSE = 0.001, 0.02


def remove(folders, timeout=10):
    """Kill every process in the groups `folders` until each group is removed; return those that
    could not be in `timeout` seconds. A process that joins a group meanwhile (a sandbox's
    wrapper, started by a worker that was killed before it ran) is killed in the next round, and
    one that tries to join after the group is gone fails to, and exits."""
    left, deadline, pause = [Path(f) for f in folders], time.monotonic() + timeout, PAUSE
    while True:
        kill_all(_pids_in(left))
        busy = []
        for folder in left:
            try:
                folder.rmdir()
            except OSError as err:
                if err.errno == errno.EBUSY:   # a process in it, or one that died a moment ago
                    busy.append(folder)
        left = busy
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)


def _pids_in(folders):
    out = set()
    for folder in folders:
        with contextlib.suppress(OSError, ValueError):
            out |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
    return out


def remove_below(folder, timeout=10):
    """Kill what is left of the sandboxes whose scratch folders were below `folder` (a run's,
    once its workers are killed) and remove their groups; return the groups left."""
    return remove(left_below(folder), timeout) if available() else []
