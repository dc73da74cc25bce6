"""grading/launcher.py: the kernels' launcher is chosen once per run, and the run says so when it
is not the one asked for."""
import pytest

from grading import bwrap, cgroup, launcher, proc
from grading.course import GradingError
from grading.settings import Settings


@pytest.fixture
def machine(monkeypatch):
    """A machine whose root-ness, bubblewrap and cgroups a test sets."""
    state = {"root": True, "bwrap": True, "cgroup": True}
    monkeypatch.setattr(proc, "is_root", lambda: state["root"])
    monkeypatch.setattr(bwrap, "available", lambda: state["bwrap"])
    monkeypatch.setattr(cgroup, "available", lambda: state["cgroup"])
    return state


def test_the_launcher_asked_for_is_used_where_it_works_and_nothing_is_said(machine):
    said = []
    assert launcher.choose(Settings(), said.append) == launcher.ZYGOTE
    assert launcher.choose(Settings(preimport=False), said.append) == launcher.BWRAP
    assert launcher.choose(Settings(sandbox=False), said.append) == launcher.NONE
    assert said == []


def test_preimport_as_a_non_root_user_falls_back_to_bubblewrap_and_says_so(machine):
    machine.update(root=False, cgroup=False)
    said = []
    assert launcher.choose(Settings(preimport=True), said.append) == launcher.BWRAP
    assert any("PREIMPORT=1" in line and "needs root" in line for line in said), said
    assert any("cgroups need root" in line for line in said), said


def test_no_bubblewrap_stops_a_sandboxed_run_before_anything_is_graded(machine):
    machine["bwrap"] = False
    with pytest.raises(GradingError, match="SANDBOX=0"):
        launcher.choose(Settings(), print)
    assert launcher.choose(Settings(sandbox=False), print) == launcher.NONE


def test_the_kernel_steps_read_the_launcher_not_the_settings_flags():
    """Whether the sandbox is on and whether kernels are forked are asked in one place each."""
    assert [launcher.sandboxed(x) for x in launcher.LAUNCHERS] == [False, True, True]
    assert [launcher.forked(x) for x in launcher.LAUNCHERS] == [False, False, True]
