"""The grader's own failures cost a retry, never a student's grade (grading/run.py `_Tasks`,
grading/notebook.py `_death`): a task that failed is submitted again, a bounded number of times,
and a sandbox killed by a signal nobody in the run sent is the grader's failure, not the notebook's."""
import concurrent.futures
import signal
import subprocess
from types import SimpleNamespace

import pytest

from grading import notebook, run, status
from grading.bwrap import Limits


class FlakyPool:
    """A pool whose first `failures` tasks fail (as a worker restarted mid-task makes them fail)."""

    def __init__(self, failures):
        self.failures, self.submitted = failures, 0

    def submit(self, fn, *args, batch=False):
        self.submitted += 1
        future = concurrent.futures.Future()
        if self.submitted <= self.failures:
            future.set_exception(RuntimeError("the worker's grading process was killed by SIGTERM"))
        else:
            future.set_result(fn(*args))
        return future

    def flush(self):
        pass


def test_a_task_that_failed_is_tried_again_and_its_result_kept():
    pool = FlakyPool(failures=run.ATTEMPTS - 1)
    tasks = run._Tasks(pool)
    tasks.submit(("student", "alice"), lambda x: x * 2, 21)
    assert list(tasks.completed()) == [(("student", "alice"), 42, None)]
    assert pool.submitted == run.ATTEMPTS


def test_a_task_that_fails_on_every_attempt_is_reported_after_a_bounded_number_of_them():
    pool = FlakyPool(failures=100)
    tasks = run._Tasks(pool)
    tasks.submit(("student", "alice"), lambda: 1)
    [(name, value, err)] = tasks.completed()
    assert (name, value, type(err)) == (("student", "alice"), None, RuntimeError)
    assert pool.submitted == run.ATTEMPTS


def test_a_batch_the_cluster_refuses_answers_each_of_its_calls_with_the_error():
    """A Dask client that cannot send a task (its scheduler gone) settles every call the task
    carried, so the run retries and then reports each of them instead of waiting for ever."""
    import operator
    from grading import fanout

    def refuse(*args, **kwargs):
        raise OSError("the scheduler is gone")
    pool = object.__new__(fanout.DaskPool)   # (its __init__ connects to a scheduler)
    pool.client, pool.batch, pool.pending, pool.futures = SimpleNamespace(submit=refuse), 2, [], set()
    tasks = run._Tasks(pool)
    tasks.submit(("student", "alice"), operator.add, 1, 2, batch=True)
    tasks.submit(("student", "bob"), operator.add, 3, 4, batch=True)
    outcomes = {name: (value, type(err)) for name, value, err in tasks.completed()}
    assert outcomes == {("student", "alice"): (None, OSError), ("student", "bob"): (None, OSError)}
    assert tasks.tries == {("student", "alice"): run.ATTEMPTS, ("student", "bob"): run.ATTEMPTS}


def test_a_probe_that_fails_once_does_not_stop_the_run_one_that_always_fails_does():
    answers = iter(["the kernel died", ""])
    tasks = run._Tasks(FlakyPool(failures=0))
    probe = tasks.submit("probe", lambda: next(answers))
    run._require_working_kernel(tasks, probe, SimpleNamespace(memory_mb=1), stop=lambda: None)
    stopped = []
    tasks = run._Tasks(FlakyPool(failures=0))
    probe = tasks.submit("probe", lambda: "the kernel died")
    with pytest.raises(run.mod_course.GradingError, match="in 3 attempts"):
        run._require_working_kernel(tasks, probe, SimpleNamespace(memory_mb=1), stop=lambda: stopped.append(1))
    assert stopped == [1]


def test_an_interruption_while_waiting_for_the_probe_is_not_the_probes_failure():
    """A SIGTERM to the grading process while it waits (run.Interrupted) stops the run as an
    interruption: it was reported as the probe's failure, 'Interrupted: SIGTERM'."""
    class Interrupting(FlakyPool):
        def submit(self, fn, *args, batch=False):
            future = concurrent.futures.Future()
            future.set_exception(run.Interrupted("SIGTERM"))
            return future
    tasks = run._Tasks(Interrupting(0))
    probe = tasks.submit("probe", lambda: "")
    with pytest.raises(run.Interrupted):
        run._require_working_kernel(tasks, probe, SimpleNamespace(memory_mb=1), stop=lambda: None)


@pytest.mark.parametrize("sig, grader_fault", [(signal.SIGTERM, True), (signal.SIGHUP, True),
                                               (signal.SIGKILL, False), (signal.SIGXCPU, False)])
def test_a_sandbox_killed_by_a_signal_nobody_sent_is_the_graders_failure(sig, grader_fault, tmp_path):
    sandbox = subprocess.Popen(["sleep", "60"])   # stands for bubblewrap
    sandbox.send_signal(sig)
    sandbox.wait()
    km = SimpleNamespace(provisioner=SimpleNamespace(process=sandbox), fork_request=None)
    if grader_fault:
        with pytest.raises(notebook.SandboxKilled, match=signal.Signals(sig).name):
            notebook._death(km, None, Limits(), tmp_path / "kernel-status")
    else:
        assert isinstance(notebook._death(km, None, Limits(), tmp_path / "kernel-status"), status.Status)
