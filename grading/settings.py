"""The knobs of one grading run (`make grade` and `python -m grading grade` fill them in)."""
import os
from dataclasses import dataclass, field, replace

from .bwrap import MEMORY_MB, Limits

@dataclass
class Settings:
    workers: int = os.cpu_count() or 1
    cell_timeout: int = 60          # seconds for one cell
    notebook_timeout: int = 600     # seconds for a whole notebook
    memory_mb: int = MEMORY_MB      # memory cap of a kernel (its sandbox's cgroup, its address space)
    max_output_bytes: int = 200_000  # captured output kept per cell
    max_notebook_bytes: int = 16 * 2**20   # and per notebook (display updates and widget state included)
    force: bool = False
    sandbox: bool = True
    preimport: bool = True          # fork kernels from a zygote that has imported torch (as root)
    limits: Limits = field(default_factory=Limits)   # disk, /tmp, processes, CPU
    scratch: str = None             # parent of the run's scratch folder (default: the temp dir)
    scheduler: str = None           # a Dask scheduler's address: grade on its workers (grading/fanout.py)
    launcher: str = None            # how kernels start, chosen once by the run (grading/launcher.py)
    mistakes: bool = False          # also run the known mistakes for the report (grading/clusters.py: `refresh`)
    preload: tuple = None           # what the kernels' template imports beyond what every assignment
                                    # needs (grading/zygote.py: EXTRAS' names): the run's assignment's; None: all

    def kernel_limits(self):
        """The kernel's `Limits`, with this run's memory cap (the one place it is set)."""
        return replace(self.limits, memory_mb=self.memory_mb)
