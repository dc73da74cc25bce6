"""Grading on a Dask cluster (`make grade SCHEDULER=...`): a LocalCluster of two worker processes
gives the scores `make grade` gives on this machine, and losing a worker mid-class loses nobody."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grading import cgroup, demo, fanout, grades, sandbox
from conftest import processes_naming
from test_grading_faults import NAME, make_class, records

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
pytestmark = pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                                reason="bubblewrap (bwrap) is not installed")


@pytest.fixture
def cluster():
    """Two worker processes of one thread each, as `dask worker --nthreads 1 --nworkers 2` starts,
    with the grading cluster's settings (deploy/dask.yaml)."""
    tmpdir = Path(tempfile.mkdtemp(prefix="gd-", dir="/tmp"))
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmpdir)   # the workers' scratch folders (short: sockets live there)
    try:
        with dask.config.set(fanout.cluster_config()), \
                distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                         env={"OMP_NUM_THREADS": "1", "TMPDIR": str(tmpdir)}) as cluster, \
                distributed.Client(cluster) as client:
            yield cluster, client, tmpdir
    finally:
        if previous is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous
        # a worker killed by a test leaves its sandboxes' groups (and, killed as it started one, the
        # sandbox) to the next grading process of that machine (work.make_run_dir); none comes here
        cgroup.remove_below(tmpdir)
        shutil.rmtree(tmpdir, ignore_errors=True)


def grade(root, *extra):
    """`make grade`'s command on `root`; return the process (started, in a group of its own)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "grading", "grade", "--course", str(root), NAME, *extra],
                            env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc, timeout=600):
    output, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, output
    return output


def scores_and_statuses(root):
    scores = grades.scores(root, NAME)
    return {s: (scores[s][0], r.status) for s, r in records(root).items()}


@pytest.fixture(scope="module")
def graded_here(tmp_path_factory, gradebook):
    """The class of 8 graded on this machine (the scores the Dask path must match)."""
    root = demo.make_course(tmp_path_factory.mktemp("here") / "course", [NAME], gradebook)
    expected = make_class(root, copies=2)
    finish(grade(root, "--workers", "2"))
    return root, expected, scores_and_statuses(root)


def class_like(graded, tmp_path, gradebook):
    root, expected, _ = graded
    copy = demo.make_course(tmp_path / "course", [NAME], gradebook)
    shutil.copytree(root / "submitted", copy / "submitted")
    return copy


def test_a_local_cluster_of_two_workers_gives_the_scores_of_make_grade_from_one_template(graded_here, tmp_path,
                                                                                         gradebook, cluster):
    _, client, tmpdir = cluster
    root = class_like(graded_here, tmp_path, gradebook)
    output = finish(grade(root, "--scheduler", client.scheduler.address))
    here = graded_here[2]
    assert scores_and_statuses(root) == here, output
    assert {s: here[s][0] for s in graded_here[1]} == graded_here[1]
    # the tasks ran on both workers, each in a grading process of its own (not the worker's)
    assert sum(1 for entry in tmpdir.iterdir() if entry.name.startswith("gr-")) == 2, list(tmpdir.iterdir())
    # with the grading cluster's settings, which the cluster's nannies handed to their workers
    settings = fanout.cluster_config()
    assert list(client.run(lambda: {key: dask.config.get(key) for key in settings}).values()) == [settings] * 2
    # both workers forked their kernels from one template, the machine's (grading/kernel.py:
    # `machine_template`), which exits once the workers are gone
    templates = [argv for _, argv in processes_naming(tmpdir) if "grading.zygote" in argv]
    assert len(templates) == 1 and any(arg.endswith("/lock") for arg in templates[0]), templates
    cluster[0].close()
    deadline = time.monotonic() + 20
    while any("grading.zygote" in argv for _, argv in processes_naming(tmpdir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any("grading.zygote" in argv for _, argv in processes_naming(tmpdir)), "the template outlived its workers"


def test_a_dask_worker_passes_calls_and_their_values_on_as_bytes():
    """A task's calls and their values cross the Dask worker pickled (grading/fanout.py:
    `DaskPool.submit`, `in_grading_process`): the worker hands the bytes to its grading process and
    returns that process's answers, unpickling none; an error is one call's answer, not the task's."""
    import operator
    import pickle
    try:
        value, error = fanout.in_grading_process([pickle.dumps((operator.add, (2, 3))),
                                                  pickle.dumps((operator.truediv, (1, 0)))])
        assert isinstance(value, bytes) and value[:1] == fanout.OK and pickle.loads(value[1:]) == 5
        assert error[:1] == fanout.ERROR and isinstance(pickle.loads(error[1:]), ZeroDivisionError)
    finally:
        if fanout._host is not None:
            fanout._host.close()
            fanout._host = None


def test_a_students_calls_go_to_a_worker_in_batches_each_answered_alone(cluster):
    """Batched calls (the students') wait for BATCH of them, which go as one Dask task, or for
    `flush` (the run waiting), which sends each alone; each call is settled with its own value or
    error. A call not batched (the probe, the reference run) goes at once, alone."""
    import operator
    _, client, _ = cluster
    pool = fanout.DaskPool(client.scheduler.address, batch=3)
    tasks = []
    submit = pool.client.submit
    pool.client.submit = lambda fn, calls, **kw: tasks.append(len(calls)) or submit(fn, calls, **kw)
    try:
        alone = pool.submit(operator.mul, 6, 7)
        batched = [pool.submit(operator.add, i, 1, batch=True) for i in range(4)]
        wrong = pool.submit(operator.truediv, 1, 0, batch=True)
        assert tasks == [1, 3]   # the first three went together; the fourth and fifth wait
        assert alone.result(timeout=120) == 42
        assert [f.result(timeout=120) for f in batched[:3]] == [1, 2, 3]
        time.sleep(0.5)
        assert not batched[3].done() and not wrong.done()
        pool.flush()
        assert tasks == [1, 3, 1, 1]   # what waited goes alone: a class's last ones end on any free worker
        assert batched[3].result(timeout=120) == 4
        with pytest.raises(ZeroDivisionError):
            wrong.result(timeout=120)
    finally:
        pool.shutdown()


def test_a_value_taken_from_the_pool_leaves_the_cluster(cluster):
    """Once the grading process has a task's value, the Dask future is dropped: the executed
    notebook leaves the worker's memory and the scheduler's books at once, not at the run's end
    (a class of 2,000 held 2,000 notebooks there)."""
    import operator
    _, client, _ = cluster
    pool = fanout.DaskPool(client.scheduler.address)
    try:
        assert pool.submit(operator.add, 2, 3).result(timeout=120) == 5
        deadline = time.monotonic() + 10
        while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) == 0
        assert not pool.futures
    finally:
        pool.shutdown()


def test_a_machine_template_folder_that_is_not_roots_alone_is_not_used(tmp_path, monkeypatch):
    """The machine's shared template lives in a folder of the temporary directory that only the
    workers' user (root) may enter; one that others may enter, or a link, is refused (each worker
    then forks from a template of its own)."""
    from grading import kernel
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = kernel.machine_template(())
    assert folder is not None and folder.parent == tmp_path and folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o755)
    assert kernel.machine_template(()) is None
    folder.rmdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    folder.symlink_to(tmp_path / "elsewhere")
    assert kernel.machine_template(()) is None


def test_the_documented_config_file_gives_a_worker_the_grading_cluster_s_settings():
    """`DASK_CONFIG=deploy/dask.yaml dask worker ...` (docs/grading.md): a fresh interpreter that
    imports distributed with it reads the settings the tests' and the benchmark's clusters use."""
    settings = fanout.cluster_config()
    assert settings["distributed.worker.profile.enabled"] is False and len(settings) == 4
    code = "import json, sys, distributed, dask; print(json.dumps({k: dask.config.get(k) for k in sys.argv[1:]}))"
    done = subprocess.run([sys.executable, "-c", code, *settings], capture_output=True, text=True,
                          env=dict(os.environ, DASK_CONFIG=str(fanout.CLUSTER_CONFIG)))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == settings


def test_a_worker_killed_mid_class_loses_nobody(graded_here, tmp_path, gradebook, cluster):
    _, client, _ = cluster
    root = class_like(graded_here, tmp_path, gradebook)
    proc = grade(root, "--scheduler", client.scheduler.address)
    # wait until the class is being graded (a student recorded), then kill one worker outright
    deadline = time.monotonic() + 300
    while not any(r.status == "graded" for r in records(root).values()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    victim = sorted(client.run(os.getpid).values())[0]
    os.kill(victim, signal.SIGKILL)
    output = finish(proc)
    assert scores_and_statuses(root) == graded_here[2], output
    assert not any(r.due for r in records(root).values())


def _task_started(tmpdir, task):
    """The pid of the worker whose grading process runs `task` (probe, reference, student): the
    scratch folder's `task` file (grading/work.py) is written as the task starts its sandbox."""
    for marker in tmpdir.glob("gr-*/*/task"):
        with contextlib.suppress(OSError, ValueError):
            if marker.read_text() == task:
                host = int((marker.parent.parent / "grader.pid").read_text())
                return int(Path(f"/proc/{host}/stat").read_text().rsplit(")", 1)[1].split()[1])   # its parent
    return None


@pytest.mark.parametrize("task", ["probe", "reference"])
def test_a_worker_restarted_during_the_probe_or_the_reference_run_costs_a_retry(task, graded_here, tmp_path,
                                                                              gradebook, cluster):
    """The nanny restarts the worker running the probe (or the reference run) as it runs: the task
    runs again, and the class gets the scores of a run without restarts."""
    _, client, tmpdir = cluster
    root = class_like(graded_here, tmp_path, gradebook)
    proc = grade(root, "--scheduler", client.scheduler.address)
    deadline = time.monotonic() + 300
    while (worker := _task_started(tmpdir, task)) is None:   # the barrier: the task's sandbox exists
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    address = next(a for a, pid in client.run(os.getpid).items() if pid == worker)
    client.restart_workers([address], timeout=120)
    output = finish(proc)
    assert scores_and_statuses(root) == graded_here[2], output
    assert not any(r.due for r in records(root).values())
