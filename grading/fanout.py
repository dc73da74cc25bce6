"""Where the grader's workers run: a process pool on this machine, or the workers of a Dask cluster.

`make grade A=... SCHEDULER=tcp://host:8786` sends the students to an existing Dask distributed
cluster in tasks of four (`DaskPool.BATCH`; the last few alone), and the probe and the reference
run alone; without SCHEDULER the grader uses a process pool here. Either way the tasks only
execute notebooks: their results come back to the grading process, which alone judges them and
writes the gradebook (grading/run.py). What a task executes is grading/work.py.

On a Dask worker a task never runs a kernel in the worker process itself: it hands the task to a
grading process of its own (`TaskHost`, started once per worker, holding that worker's scratch
folder), so a crash there cannot take the worker down; the workers of one machine fork their
kernels from one template (grading/kernel.py: `machine_template`), which outlives any of them. A worker lost or restarted mid-task
is the scheduler's to handle: it runs the task again on another worker (a task whose grading
process died while its worker was closing asks for that), so the student is graded there, neither
lost nor zeroed. A task that fails anyway (it kept killing workers, its grading process was killed
by a signal the grader did not send) comes back as an error, and the grading process submits it
again, a bounded number of times (grading/run.py: `ATTEMPTS`), the probe and the reference run
included; only a failure on every attempt is reported, as the grader's own: the probe's or the
reference's stops the run, a student's is retried by the next run.

Start workers with the course environment installed and bubblewrap on the PATH, one thread each,
and the grading cluster's settings (deploy/dask.yaml: `cluster_config`):
    DASK_CONFIG=deploy/dask.yaml dask scheduler     # on one machine: tcp://<host>:8786
    DASK_CONFIG=deploy/dask.yaml dask worker tcp://<host>:8786 --nthreads 1 --nworkers <cores>
Workers read data folders (FASHION_MNIST_DIR) from their own environment.
"""
import concurrent.futures
import contextlib
import functools
import io
import multiprocessing
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import context, forkserver, popen_forkserver, spawn
from multiprocessing import util as mp_util
from pathlib import Path

from . import stages  # noqa: F401  (how notebooks are pickled, here too: a Dask worker passes them on)

# Attempts of a task on one Dask worker whose grading process died (the grader's own failure).
LOCAL_ATTEMPTS = 2

CLUSTER_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "dask.yaml"


def cluster_config():
    """The grading cluster's Dask settings (deploy/dask.yaml) as {dotted key: value}, for
    `dask.config.set` where a cluster is started in-process (a LocalCluster's nannies hand them
    to their workers); a nested mapping would replace each whole section instead."""
    import yaml

    def flat(tree, prefix=""):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from flat(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value
    return dict(flat(yaml.safe_load(CLUSTER_CONFIG.read_text())))


def _pool(workers, initializer, initargs=()):
    # Workers fork from a server that has imported what they execute once, so a pool starts in
    # milliseconds instead of re-importing nbclient and jupyter_client in every worker.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["grading.work", "grading.settings"])
    forkserver.ensure_running()   # its imports start now (it is spawned, not waited for), not at the first task
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=_WorkerContext(), initializer=initializer,
                               initargs=initargs)


class _WorkerPopen(popen_forkserver.Popen):
    """The forkserver's way of starting a worker, less one step: multiprocessing has each worker
    import the grading process's main script again (as `__mp_main__`), so that functions defined
    there can be sent to it. A worker runs only grading/work.py's functions, and the main script
    is the instructor's: a script or notebook that calls `grade` (its imports, torch's included,
    then cost every worker seconds at the start of every run, competing with the kernels'
    template; a script without a `__main__` guard would even grade again in each worker). `make
    grade` (`python -m grading`) is never imported again anyway. The rest is the standard
    library's `_launch`, unchanged."""

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            context.reduction.dump(prep_data, buf)
            context.reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)   # the worker's sentinel of its parent (as the standard library)
        self.finalizer = mp_util.Finalize(self, mp_util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _WorkerProcess(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _WorkerPopen(process_obj)


class _WorkerContext(context.ForkServerContext):
    Process = _WorkerProcess


class LocalPool:
    """`workers` processes on this machine."""

    def __init__(self, workers, initializer, initargs=()):
        self.executor = _pool(workers, initializer, initargs)

    def submit(self, fn, *args, batch=False):
        """Run `fn(*args)` in a worker; return a future of its value (`batch` is the Dask pool's:
        the executor's queue already hands a worker its next call without a round trip)."""
        return self.executor.submit(fn, *args)

    def flush(self):
        """(Nothing waits here for a batch: `DaskPool.flush`.)"""

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

    # Calls sent to a worker as one Dask task when the run allows it (its students'): a Dask task
    # costs the scheduler, the client and the worker about 8 ms of CPU whatever it does, which on a
    # machine whose workers run kernels is taken from them (measured on 2 cores: 8-9 ms a task
    # alone, 3 ms a call in tasks of 4). Four notebooks (about a second) keep a class's last batches
    # short: a worker waits at most one batch for the others at the end.
    BATCH = 4

    def __init__(self, address, timeout=30, batch=BATCH):
        try:
            from distributed import Client
        except ImportError as err:
            raise RuntimeError("SCHEDULER needs Dask distributed: `pip install distributed`") from err
        self.client = Client(address, timeout=timeout, set_as_default=False)
        self.batch, self.pending = batch, []   # batched calls not sent yet: (payload, future)
        self.futures = set()   # Dask futures whose answers have not been taken yet

    def submit(self, fn, *args, batch=False):
        """Run `fn(*args)` on a worker; return a future of its value. The call and its value cross
        the Dask worker as bytes (pickled here and in the worker's grading process): the worker
        passes them on without unpickling and pickling them again. A `batch` call waits until
        BATCH of them are there, which go as one task, or until `flush`; any other goes at once, alone."""
        call = (pickle.dumps((fn, args)), concurrent.futures.Future())
        if not batch:
            self._send([call])
        else:
            self.pending.append(call)
            if len(self.pending) >= self.batch:
                calls, self.pending = self.pending, []
                self._send(calls)
        return call[1]

    def flush(self):
        """Send the batched calls that wait for a full batch (the run is about to wait for answers),
        each alone: the last students of a class (or a retry) then end on whichever worker is free,
        not all on one."""
        calls, self.pending = self.pending, []
        for call in calls:
            self._send([call])

    def _send(self, calls):
        try:
            future = self.client.submit(in_grading_process, [payload for payload, _ in calls], pure=False)
        except Exception as err:   # (the client lost its scheduler): every call of it has its answer
            for _, outer in calls:
                outer.set_exception(err)
            return
        self.futures.add(future)
        future.add_done_callback(functools.partial(_answered, [outer for _, outer in calls], self.futures.discard))

    def as_completed(self, futures):
        return as_completed(futures)   # (`submit`'s futures are concurrent.futures' own)

    def kill(self):
        """Cancel what is queued or running; a worker's grading process drops its running kernel."""
        pending, self.pending = self.pending, []
        for _, outer in pending:
            outer.cancel()
        try:
            self.client.cancel(list(self.futures), force=True)
        except Exception:
            pass

    def shutdown(self):
        self.kill()
        try:
            self.client.close(timeout=10)
        except Exception:
            pass


def _answered(outers, forget, finished):
    """Settle the `outers` (futures of one Dask task's calls) from its answers (`in_grading_process`):
    each the value or the error its call's bytes unpickle to; the task's own error, or its
    cancellation, settles them all (each call is then tried again, or reported, by the run). Then
    `forget(finished)` drops the pool's reference to the Dask future, so that its value leaves the
    worker's memory and the scheduler's books (they held every student's executed notebook until
    the run's end)."""
    try:
        try:
            answers = finished.result()
            if len(answers) != len(outers):
                raise HostDied(f"{len(answers)} answers to {len(outers)} calls")
        except BaseException as err:   # (a cancelled task's error is a BaseException)
            for outer in outers:
                outer.set_exception(err)
            return
        for outer, answer in zip(outers, answers):
            try:
                value = pickle.loads(answer[1:])
            except BaseException as err:
                outer.set_exception(err)
            else:
                if answer[:1] == OK:
                    outer.set_result(value)
                else:
                    outer.set_exception(value)
    finally:
        forget(finished)


class TaskHost:
    """A Dask worker's grading process (`python -m grading.fanout`): it runs the tasks handed to it
    one at a time, over a pipe (a Dask worker is a daemonic process, so it cannot have a pool)."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-m", "grading.fanout"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=dict(os.environ, OMP_NUM_THREADS="1"))

    def run(self, payload):
        """Run the call pickled in `payload` ((function, arguments)); return its answer: OK and its
        value pickled, or ERROR and its error pickled."""
        self.process.stdin.write(struct.pack("!Q", len(payload)) + payload)
        self.process.stdin.flush()
        try:
            answer = _read_bytes(self.process.stdout)
        except HostDied:
            code = self.process.wait(5)
            if code < 0:   # killed by a signal the grader did not send (it only kills a host it gave up on)
                raise HostDied(f"the worker's grading process was killed by {signal.Signals(-code).name}") from None
            raise
        return answer

    def close(self):
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.wait(5)


class HostDied(RuntimeError):
    """The grading process of a Dask worker died (the grader's own failure: a kernel cannot reach it)."""


OK, ERROR = b"\x01", b"\x00"   # an answer's first byte: the call returned (its value follows, pickled), or raised (its error)


def _read_bytes(stream):
    header = stream.read(8)
    if len(header) < 8:
        raise HostDied("the worker's grading process exited")
    (size,) = struct.unpack("!Q", header)
    data = stream.read(size)
    if len(data) < size:
        raise HostDied("the worker's grading process exited")
    return data


def _read(stream):
    return pickle.loads(_read_bytes(stream))


_host = None
_host_lock = threading.Lock()


def in_grading_process(payloads):
    """On a Dask worker: run each call pickled in `payloads` ((function, arguments)) in this
    worker's own grading process (started once); return their answers (`TaskHost.run`). A call
    whose grading process died on every attempt answers with that error; the others keep theirs."""
    with _host_lock:
        return [_answer_here(payload) for payload in payloads]


def _answer_here(payload):
    global _host
    for attempt in range(1, LOCAL_ATTEMPTS + 1):
        if _host is None or _host.process.poll() is not None:
            _host = TaskHost()
        try:
            return _host.run(payload)
        except (HostDied, BrokenPipeError) as err:
            _host.close()
            _host = None
            if _worker_closing():   # a restart or shutdown of this worker: another worker runs it
                from distributed import Reschedule
                raise Reschedule() from None
            if attempt == LOCAL_ATTEMPTS:
                return ERROR + pickle.dumps(err)


def _worker_closing():
    """Whether the Dask worker this runs on is closing (restarted by its nanny, or shut down)."""
    with contextlib.suppress(Exception):
        from distributed import get_worker
        return get_worker().status.name not in ("running", "paused")
    return False


def _serve():
    """The grading process: run each (function, arguments) read from stdin, answer on stdout; exit
    when the Dask worker that started it is gone."""
    from . import kernel, notebook
    from .work import worker_init
    worker_init()
    kernel.MACHINE = True   # its kernels come from the template this machine's workers share
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)   # what the tasks print goes to stderr, not into the answers
    parent = os.getppid()

    def orphaned():
        while os.getppid() == parent:
            time.sleep(0.5)
        notebook.finish_removals()   # what is left of its last sandbox
        os._exit(1)   # the sandboxes die with this process (bwrap --die-with-parent)

    threading.Thread(target=orphaned, daemon=True).start()
    while True:
        try:
            fn, args = _read(requests)
        except HostDied:
            return 0
        try:
            data = OK + pickle.dumps(fn(*args))
        except Exception as err:
            data = ERROR + pickle.dumps(err)
        answers.write(struct.pack("!Q", len(data)) + data)
        answers.flush()


if __name__ == "__main__":
    sys.exit(_serve())
