"""What runs under a kernel's uid or below a sandbox's first process, read from /proc: the
grader's bookkeeping of the sandboxes from outside them (grading/bwrap.py starts them)."""
import contextlib
import os
from pathlib import Path

from . import cgroup


def pids_of(uid):
    """The pids of the processes running under `uid` (from /proc)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
    return pids


def tasks_of(uid):
    """Count the processes and threads running under `uid`."""
    count = 0
    for pid in pids_of(uid):
        with contextlib.suppress(OSError):
            count += len(os.listdir(f"/proc/{pid}/task"))
    return count


def reap(uid, timeout=10):
    """Kill whatever still runs as the kernel's uid (a fork bomb's children die with its PID
    namespace, but not at once) and wait until nothing does, so the next kernel starts clean."""
    cgroup.kill_until_gone(lambda: pids_of(uid), timeout)


def descendants(pid):
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
