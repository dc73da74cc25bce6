"""What runs under a kernel's uid or below a sandbox's first process, read from /proc: the
grader's bookkeeping of the sandboxes from outside them (grading/bwrap.py starts them)."""
import contextlib
import os
import signal
import time
from pathlib import Path


def is_root():
    """Whether the grader runs as root: kernels get uids of their own, cgroups and the zygote
    become possible. The one place the grader asks."""
    return os.geteuid() == 0


def own_uid(uid):
    """Whether a kernel running as `uid` runs under a uid of its own (not the grader's)."""
    return uid != os.getuid()


def kill_all(pids):
    """SIGKILL each of `pids` (one that has gone meanwhile is skipped)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def kill_until_gone(find, timeout=10, interval=0.05):
    """SIGKILL the pids `find()` returns until it returns none (or `timeout` seconds pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = find()
        if not left:
            return
        kill_all(left)
        time.sleep(interval)


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
    kill_until_gone(lambda: pids_of(uid), timeout)


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
