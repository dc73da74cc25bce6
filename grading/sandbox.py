"""The sandbox a submission's kernel runs in, for callers that name it as one thing.

Its parts, each a module of its own, in the order a notebook meets them:

    grading/bwrap.py     the bubblewrap command: mounts, environment, uid, `Limits`
    grading/kernel.py    starting the kernel in it (or forking it from the zygote) and its clients
    grading/notebook.py  `run_notebook`: executing one notebook there, with timeouts and caps
    grading/proc.py      what runs in a sandbox, read from /proc from outside (and `reap`)
"""
from .bwrap import Limits, is_kernel_uid  # noqa: F401
from .bwrap import available as bwrap_available  # noqa: F401
from .launcher import zygote_possible as preimport_available  # noqa: F401
from .notebook import KernelSetupError, run_notebook  # noqa: F401
from .proc import reap  # noqa: F401
