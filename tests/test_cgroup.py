"""A run's sandbox groups are removed with whatever is left in them, even a process that joins one
late: what a killed worker leaves (grading/cgroup.py's `remove_below`, called by the grading
process when it stops its workers and when the run ends)."""
import os
import subprocess
import time

import pytest

from grading import cgroup

# Skipped only where this process cannot make groups (not root, no cgroups) outside CI; in CI
# (root, with cgroup v1's memory and pids controllers) it must run.
pytestmark = pytest.mark.skipif(not cgroup.available() and not os.environ.get("CI"),
                                reason="cgroups need root and the memory and pids controllers")

JOIN = 'sleep "$1"; shift; for procs in "$@"; do echo $$ >"$procs" || exit 125; done; exec sleep 600'


def joined(group, delay=0.0):
    """A process that joins `group` after `delay` seconds, then sleeps (as a sandbox's wrapper
    would, were its worker killed before bubblewrap started)."""
    return subprocess.Popen(["/bin/sh", "-c", JOIN, "join", str(delay), *group.procs])


def test_a_run_s_groups_are_removed_with_their_processes_even_one_that_joins_late(tmp_path):
    run_dir = tmp_path / "run"
    groups = [cgroup.Group(cgroup.name_for(run_dir / name), 2**28, 64) for name in ("a", "b")]
    inside = [joined(group) for group in groups]
    late = joined(groups[1], delay=0.3)
    deadline = time.monotonic() + 10
    while not all(_members(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(_members(g) for g in groups), "the processes did not join their groups"
    other = cgroup.Group(cgroup.name_for(tmp_path / "another-run" / "a"), 2**28, 64)   # not below run_dir
    try:
        assert len(cgroup.left_below(run_dir)) == 2 * len(groups[0].folders)
        assert cgroup.remove_below(run_dir) == []
        assert cgroup.left_below(run_dir) == []
        for process in inside:
            assert process.wait(timeout=10) == -9
        # the late one was killed in its group, or found the group gone and exited: never sleeping on
        assert late.wait(timeout=10) in (-9, 125)
        assert cgroup.left_below(tmp_path / "another-run") != [], "another run's group is not this run's"
    finally:
        for process in [*inside, late]:
            process.kill()
        other.close()
        for group in groups:
            group.close()
    assert cgroup.left_below(tmp_path) == []


def _members(group):
    return all((folder / "cgroup.procs").read_text().split() for folder in group.folders)
