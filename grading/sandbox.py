"""Execute one prepared submission notebook with its kernel locked in a bubblewrap sandbox.

The executor (this module, run in a trusted worker process) drives the kernel over IPC sockets in
a scratch folder. The kernel runs under `bwrap`: read-only file system, the course folder and the
repository hidden except helpers/ and the Python environment, its own scratch folder writable,
no network, its own PID namespace (it cannot see or signal the executor), a memory cap
(`prlimit --as`), one torch/BLAS thread. Scores are decided here, outside the kernel:

* each cell has a timeout and the notebook a total budget; after a timeout or a dead kernel the
  remaining test cells are marked as not run (an error output, so they score 0);
* before each test cell a silent snippet puts back what a submission may have patched
  (torch/numpy/math comparison helpers, IPython's traceback display and cell runner, event
  hooks, builtins, helpers.checks) from references taken before any student code ran;
* a cell whose reply is an error counts as an error even when the submission hid the traceback;
* captured output is capped per cell.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from nbgrader import utils

REPO = Path(__file__).resolve().parent.parent
# Data folders a notebook may read, exposed read-only inside the sandbox: the repository's data/
# and the folders named by these environment variables (lesson 4's Fashion-MNIST).
DATA_ENV_VARS = ("FASHION_MNIST_DIR",)

SETUP = r'''
def _grader_setup_{key}():
    import builtins, importlib, math, sys
    import numpy, numpy.testing, torch, torch.testing
    from IPython.core.interactiveshell import InteractiveShell
    shell = get_ipython()
    names = [(torch, "allclose"), (torch, "equal"), (torch, "isclose"), (torch.testing, "assert_close"),
             (torch.Tensor, "__eq__"), (torch.Tensor, "__ne__"), (torch.Tensor, "tolist"),
             (torch.Tensor, "item"), (torch.Tensor, "__float__"),
             (numpy, "allclose"), (numpy, "isclose"), (numpy, "array_equal"), (numpy.testing, "assert_allclose"),
             (math, "isclose"), (builtins, "__import__"), (builtins, "isinstance"), (builtins, "type"),
             (builtins, "float"), (builtins, "abs"), (builtins, "len"), (builtins, "all"), (builtins, "any"),
             (builtins, "sum"), (builtins, "max"), (builtins, "min"), (builtins, "zip"), (builtins, "print"),
             (InteractiveShell, "showtraceback"), (InteractiveShell, "_showtraceback"),
             (InteractiveShell, "run_cell"), (InteractiveShell, "run_cell_async"), (InteractiveShell, "should_run_async"),
             (InteractiveShell, "run_ast_nodes"), (InteractiveShell, "run_code")]
    saved = [(owner, name, owner.__dict__.get(name, getattr(owner, name))) for owner, name in names]
    events = {{k: list(v) for k, v in shell.events.callbacks.items()}}
    def restore():
        for owner, name, value in saved:
            setattr(owner, name, value)
        for name in ("showtraceback", "_showtraceback", "run_cell", "run_cell_async", "should_run_async",
                     "run_ast_nodes", "run_code"):
            shell.__dict__.pop(name, None)
        for k, v in events.items():
            shell.events.callbacks[k] = list(v)
        sys.excepthook = sys.__excepthook__
        sys.modules.pop("helpers.checks", None)
        importlib.import_module("helpers.checks")
    return restore
_grader_restore_{key} = _grader_setup_{key}()
del _grader_setup_{key}
'''


def is_test(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def error_output(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def bwrap_available():
    return shutil.which("bwrap") is not None and subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--unshare-net", "true"], capture_output=True).returncode == 0


def kernel_argv(scratch, work, hide, memory_mb):
    """Return the kernel command: ipykernel inside bubblewrap, under a memory cap."""
    scratch = str(scratch)
    argv = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    exposed = [REPO / "helpers", Path(sys.prefix), Path(sys.base_prefix)]
    for path in hide:
        argv += ["--tmpfs", str(path)]
    for path in exposed:
        if any(Path(h) in path.parents or Path(h) == path for h in hide):
            argv += ["--ro-bind", str(path), str(path)]
    for path in data_folders():
        argv += ["--ro-bind", str(path.resolve()), str(path)]
    for path in hide:
        argv += ["--remount-ro", str(path)]
    env = {"HOME": f"{scratch}/home", "IPYTHONDIR": f"{scratch}/home/ipython",
           "MPLCONFIGDIR": f"{scratch}/home/mpl", "JUPYTER_RUNTIME_DIR": f"{scratch}/home/runtime",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1"}
    argv += ["--bind", scratch, scratch, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
             "--die-with-parent", "--new-session", "--unsetenv", "JPY_PARENT_PID", "--chdir", str(work)]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += ["--", "prlimit", f"--as={memory_mb * 2**20}", f"--fsize={256 * 2**20}", "--core=0", "--",
             sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return argv


def data_folders():
    """Return the existing data folders to expose read-only (paths as the notebooks name them)."""
    names = [REPO / "data"] + [Path(os.environ[v]) for v in DATA_ENV_VARS if os.environ.get(v)]
    return [p.absolute() for p in names if p.is_dir()]


class CappedClient(NotebookClient):
    """A NotebookClient that keeps at most `max_output_bytes` of output per cell."""

    def __init__(self, *args, max_output_bytes=200_000, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self._used = {}

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._used.get(cell_index, 0)
        self._used[cell_index] = used + size
        if used + size > self.max_output_bytes:
            if used <= self.max_output_bytes:
                outs.append(nbformat.v4.new_output(
                    "stream", name="stdout", text=f"\n[output truncated by the grader after {self.max_output_bytes} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def _mark_reply_errors(cell, cell_index, execute_reply):
    """Record an error reply as an error output even if the submission hid its traceback."""
    content = execute_reply.get("content", {})
    if content.get("status") == "error" and not any(o.output_type == "error" for o in cell.outputs):
        cell.outputs.append(error_output(content.get("ename", "Error"),
                                         content.get("evalue", "") or "an error occurred while tracebacks were hidden"))


def run_notebook(nb, work, scratch, hide, cell_timeout=60, notebook_timeout=600, memory_mb=4096,
                 max_output_bytes=200_000, sandbox=True):
    """Execute `nb` (in place) with its kernel in the sandbox; return '' or a problem status."""
    scratch = Path(scratch)
    kernels = scratch / "kernels" / "sandboxed"
    kernels.mkdir(parents=True, exist_ok=True)
    for sub in ("home", "ipc"):
        (scratch / sub).mkdir(exist_ok=True)
    argv = (kernel_argv(scratch, work, hide, memory_mb) if sandbox else
            [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    (kernels / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "graded", "language": "python"}))

    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    ksm = KernelSpecManager(kernel_dirs=[str(scratch / "kernels")], ensure_native_kernel=False)
    km = AsyncKernelManager(kernel_name="sandboxed", kernel_spec_manager=ksm, transport="ipc",
                            ip=str(scratch / "ipc" / "k"), connection_file=str(scratch / "ipc" / "kernel.json"))
    deadline = time.monotonic() + notebook_timeout

    def budget(cell=None):
        return max(1, min(cell_timeout, int(deadline - time.monotonic())))

    client = CappedClient(nb, km=km, timeout=cell_timeout, timeout_func=budget, allow_errors=True,
                          interrupt_on_timeout=False, startup_timeout=120, kernel_name="sandboxed",
                          resources={"metadata": {"path": str(work)}}, max_output_bytes=max_output_bytes,
                          on_cell_executed=lambda **kw: _mark_reply_errors(kw["cell"], kw["cell_index"], kw["execute_reply"]))
    key = secrets.token_hex(8)
    problem = ""
    ran = set()
    try:
        with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            if not _silent(client, SETUP.format(key=key), budget()):
                problem = "error: the grader could not start the notebook's kernel"
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if problem:
                    cell.outputs = [error_output("NotRun", f"not run: {problem}")] if is_test(cell) else []
                    continue
                if time.monotonic() >= deadline:
                    problem = f"timeout: the notebook exceeded {notebook_timeout} s"
                    cell.outputs = [error_output("NotRun", f"not run: {problem}")] if is_test(cell) else []
                    continue
                if is_test(cell) and not _restore(client, key, budget()):
                    problem = "error: the submission tampered with the grader"
                    cell.outputs = [error_output("GraderError", problem)]
                    continue
                ran.add(index)
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    problem = f"timeout: a cell ran longer than {budget()} s"
                    cell.outputs.append(error_output("CellTimeoutError", problem))
                except DeadKernelError:
                    problem = "error: the kernel died (the notebook exited or crashed it)"
                    cell.outputs.append(error_output("DeadKernelError", problem))
    except DeadKernelError:
        problem = problem or "error: the kernel died"
    except Exception as err:  # the kernel could not even start
        problem = problem or f"error: {type(err).__name__}: {err}"
    finally:
        for index, cell in enumerate(nb.cells):
            if problem and is_test(cell) and index not in ran and not cell.get("outputs"):
                cell.outputs = [error_output("NotRun", f"not run: {problem}")]
    return problem


def _silent(client, code, timeout, user_expressions=None):
    """Run `code` silently in the kernel; return its reply content if it finished without error."""
    try:
        msg_id = client.kc.execute(code, silent=True, store_history=False, user_expressions=user_expressions or {})
        reply = client.wait_for_reply(msg_id)
    except Exception:
        return None
    if not reply or reply["content"].get("status") != "ok":
        return None
    return reply["content"]


def _restore(client, key, timeout):
    """Put back what a submission may have patched, and prove the snippet really ran: it sets a
    fresh nonce that the reply must carry back (a patched cell runner that skips code cannot)."""
    nonce = secrets.token_hex(8)
    content = _silent(client, f"_grader_restore_{key}()\n_grader_nonce_{key} = {nonce!r}", timeout,
                      {"nonce": f"_grader_nonce_{key}"})
    got = (content or {}).get("user_expressions", {}).get("nonce", {})
    return got.get("status") == "ok" and got.get("data", {}).get("text/plain") == repr(nonce)
