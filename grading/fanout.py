"""Where the grader's workers run: a process pool on this machine, or the workers of a Dask cluster.

`make grade A=... SCHEDULER=tcp://host:8786` sends one task per student (and one for the probe and
the reference run) to an existing Dask distributed cluster; without SCHEDULER the grader uses a
process pool here. Either way the tasks only execute notebooks: their results come back to the
grading process, which alone judges them and writes the gradebook (grading/grader.py).

On a Dask worker a task never runs a kernel in the worker process itself: it hands the task to a
grading process of its own (a one-process pool, started once per worker, holding that worker's
zygote and scratch folder), so a crash there cannot take the worker down. A worker lost mid-task
is the scheduler's to handle: it runs the task again on another worker, so the student is graded
there, neither lost nor zeroed; a task that keeps killing workers comes back as an error, which
the grader reports as its own failure and retries on the next run.

Start workers with the course environment installed and bubblewrap on the PATH, one thread each:
    dask scheduler                                   # on one machine: tcp://<host>:8786
    dask worker tcp://<host>:8786 --nthreads 1 --nworkers <cores>   # on each grading machine
Workers read data folders (FASHION_MNIST_DIR) from their own environment.
"""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

# Attempts of a task on one Dask worker whose grading process died (the grader's own failure).
LOCAL_ATTEMPTS = 2


def _pool(workers, initializer):
    # Workers fork from a server that has imported the grader once, so a pool starts in
    # milliseconds instead of re-importing nbgrader and nbclient in every worker.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["grading.grader"])
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx, initializer=initializer)


class LocalPool:
    """`workers` processes on this machine."""

    remote = False

    def __init__(self, workers, initializer):
        self.executor = _pool(workers, initializer)

    def submit(self, fn, *args):
        return self.executor.submit(fn, *args)

    def as_completed(self, futures):
        return as_completed(futures)

    def kill(self):
        """Stop every worker at once; bwrap's --die-with-parent takes each sandbox down with it."""
        for process in list((getattr(self.executor, "_processes", None) or {}).values()):
            try:
                process.kill()
            except Exception:
                pass

    def shutdown(self):
        self.executor.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """The workers of the Dask cluster whose scheduler is at `address`."""

    remote = True

    def __init__(self, address, timeout=30):
        try:
            from distributed import Client
        except ImportError as err:
            raise RuntimeError("SCHEDULER needs Dask distributed: `pip install distributed`") from err
        self.client = Client(address, timeout=timeout, set_as_default=False)
        self.futures = []

    def submit(self, fn, *args):
        future = self.client.submit(in_grading_process, fn, *args, pure=False)
        self.futures.append(future)
        return future

    def as_completed(self, futures):
        from distributed import as_completed as dask_as_completed
        return dask_as_completed(list(futures))

    def kill(self):
        """Cancel what is queued or running; a worker's grading process drops its running kernel."""
        try:
            self.client.cancel(self.futures, force=True)
        except Exception:
            pass

    def shutdown(self):
        self.kill()
        try:
            self.client.close(timeout=10)
        except Exception:
            pass


_local = None


def in_grading_process(fn, *args):
    """On a Dask worker: run `fn(*args)` in this worker's own grading process (started once)."""
    global _local
    from . import grader
    for attempt in range(1, LOCAL_ATTEMPTS + 1):
        if _local is None:
            _local = _pool(1, grader._worker_init)
        try:
            return _local.submit(fn, *args).result()
        except BrokenProcessPool:
            _local = None
            if attempt == LOCAL_ATTEMPTS:
                raise


def worker_pids(client):
    """{worker address: pid} of a cluster's workers (for tests and diagnostics)."""
    import os
    return client.run(os.getpid)

