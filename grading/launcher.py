"""How this run starts its kernels, chosen once, at the start of the run (`choose`), and said in
the run's output when it is not the one asked for:

    none               SANDBOX=0 (--no-sandbox): a plain kernel with the grader's permissions,
                       for notebooks you trust only
    bubblewrap         each kernel started from scratch in a bubblewrap sandbox (grading/bwrap.py)
    bubblewrap+zygote  each kernel forked into its sandbox from a template process that has
                       imported torch (grading/zygote.py): the default, which needs root

Every later step reads `Settings.launcher`; nothing else asks whether the sandbox is on, whether
the zygote may be used or whether the grader is root.
"""
import sys

from . import bwrap, cgroup, proc
from .course import GradingError

NONE, BWRAP, ZYGOTE = "none", "bubblewrap", "bubblewrap+zygote"
LAUNCHERS = (NONE, BWRAP, ZYGOTE)


def asked(settings):
    """The launcher `settings` ask for (SANDBOX= and PREIMPORT=)."""
    if not settings.sandbox:
        return NONE
    return ZYGOTE if settings.preimport else BWRAP


def zygote_possible():
    """Kernels can be forked from a zygote only where the grader may enter namespaces (root)."""
    return proc.is_root() and sys.platform.startswith("linux")


def choose(settings, out=print):
    """The launcher of this run: the one asked for where it can work here, else the nearest that
    can (said in `out`); refused where no sandbox can be made but one was asked for."""
    wanted = asked(settings)
    if wanted == NONE:
        return NONE
    if not bwrap.available():
        raise GradingError(
            "bubblewrap (bwrap) is needed to isolate submissions: `apt-get install bubblewrap`; "
            "or grade without isolation, only notebooks you trust, with SANDBOX=0 (--no-sandbox)")
    chosen = wanted
    if wanted == ZYGOTE and not zygote_possible():
        chosen = BWRAP
        out("note: forking kernels from a template that has imported torch (PREIMPORT=1) needs root: "
            "each kernel starts from scratch in its sandbox instead (slower, as isolated)")
    if not cgroup.available():
        out("note: cgroups need root: each kernel's memory and processes are capped per process here, "
            "not per sandbox, and kernels share the grader's uid")
    return chosen


def sandboxed(launcher):
    return launcher != NONE


def forked(launcher):
    return launcher == ZYGOTE
