"""The piped kernel (grading/cellrunner.py in the sandbox, grading/pipe_exec.py in the worker).

What a hostile kernel can write into its output pipe or its descriptors is read as untrusted
data: frames are parsed and checked here without a kernel; then, with forked kernels in their
sandboxes, forged frames on fd 1, malformed and oversized frames on the pipe, a closed pipe, a
cell that never ends and output from C code and forked children. Each is measured from what the
grader kept and the status it gave. (The red team, tests/test_redteam*.py, covers the rest:
forgeries, floods, caps, limits.) The ipykernel path forked kernels used before stays available
(`run_notebook(piped=False)`) and gives the same outputs.
"""
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from grading import bwrap, grader, launcher, pipe_exec, sandbox
from grading.cellrunner import frame
from grading.notebook import run_notebook
from grading.verdict import OBSERVATION_MIME, observations


def frames(*messages):
    return b"".join(frame(kind, content) for kind, content in messages)


def test_frames_split_anywhere_are_read_whole_and_in_order():
    data = frames(("stream", {"name": "stdout", "text": "héllo"}), ("done", {"status": "ok"}))
    reader, got = pipe_exec.Frames(), []
    for i in range(len(data)):
        got += reader.feed(data[i:i + 1])
    assert [m["msg_type"] for m in got] == ["stream", "done"]
    assert got[0]["content"]["text"] == "héllo"


def test_an_oversized_frame_is_skipped_unread_and_the_next_one_read():
    reader = pipe_exec.Frames(max_frame=100)
    big = (1000).to_bytes(4, "big") + b"x" * 1000
    got = reader.feed(big[:50]) + reader.feed(big[50:] + frames(("done", {"status": "ok"})))
    assert got[0] is pipe_exec.OVERSIZE and got[1]["msg_type"] == "done" and len(got) == 2


def test_a_notebook_travels_between_the_graders_processes_as_the_dicts_it_holds():
    """grading/stages.py: a task's notebooks and a worker's executed ones are pickled as plain dicts
    (not key by key through NotebookNode.__setitem__, with a lookup of `__setstate__` each), come
    back as equal NotebookNodes, and a Dask worker, which passes results on, pickles them so too."""
    from nbformat import NotebookNode
    from grading import stages  # noqa: F401
    import pickle
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/plain": "1", OBSERVATION_MIME: {"name": "x", "value": [1.0]}})])])
    data = pickle.dumps(nb)
    assert b"_allownew" not in data
    back = pickle.loads(data)
    assert back == nb and isinstance(back, NotebookNode)
    assert back.cells[0].outputs[0].data[OBSERVATION_MIME].value == [1.0]   # nested nodes, attribute access
    relay = subprocess.run([sys.executable, "-c", "import pickle, nbformat, grading.fanout\n"
                            "print(b'_allownew' in pickle.dumps(nbformat.v4.new_notebook()))"],
                           capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert relay.stdout.strip() == "False", relay.stderr


@pytest.mark.parametrize("raw", [
    b"not json", b"[1, 2]", b'{"msg_type": "done"}', b'{"msg_type": "stream", "content": {"name": "x", "text": "a"}}',
    b'{"msg_type": "stream", "content": {"name": "stdout", "text": 3}}',
    b'{"msg_type": "display_data", "content": {"data": {"image/png": 5}, "metadata": {}}}',
    b'{"msg_type": "display_data", "content": {"data": {"text/plain": "a"}, "metadata": []}}',
    b'{"msg_type": "error", "content": {"ename": "E", "evalue": "v", "traceback": "tb"}}',
    b'{"msg_type": "execute_result", "content": {"data": {"text/plain": "a"}, "metadata": {}, "execution_count": "1"}}',
    b'{"msg_type": "done", "content": {"status": "fine"}}', b'{"msg_type": "comm_open", "content": {}}',
    b'{"msg_type": "display_data", "content": {"data": {"application/json": NaN}, "metadata": {}}}',
    b'[' * 100_000 + b']' * 100_000,
])
def test_a_malformed_frame_is_the_kernels_error(raw):
    with pytest.raises(pipe_exec.MalformedOutput):
        pipe_exec.Frames().feed(len(raw).to_bytes(4, "big") + raw)


# Messages as a hostile kernel could write them: every kind, the fields nbformat reads (and some it
# does not), values of every JSON type, mime types on both sides of nbformat's "any JSON" pattern.
_MIMES = st.sampled_from(["text/plain", "text/html", "image/png", "application/json", "application/vnd.x+json",
                          "application/json\n", "text/json", "application/jsonx", "application/+json", "json"])
_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False)
                     | st.sampled_from(["stdout", "stderr", "a", ""]),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]) | _MIMES, inner, max_size=3),
                     max_leaves=8)
_VALUES = _JSON | st.lists(st.sampled_from(["a", "b\n"]), max_size=3) | st.dictionaries(_MIMES, _JSON | st.text(max_size=3), max_size=4)
_FIELDS = ["name", "text", "data", "metadata", "execution_count", "ename", "evalue", "traceback", "transient", "other"]
# each field absent, of a plausible shape, or anything
_PLAUSIBLE = {"name": st.sampled_from(["stdout", "stderr", "out"]), "text": st.text(max_size=3),
              "data": st.dictionaries(_MIMES, st.text(max_size=3) | _JSON, max_size=3),
              "metadata": st.dictionaries(st.sampled_from(["a", "b"]), _JSON, max_size=2),
              "execution_count": st.none() | st.integers(-2, 5), "ename": st.text(max_size=3),
              "evalue": st.text(max_size=3), "traceback": st.lists(st.text(max_size=3), max_size=3),
              "transient": st.fixed_dictionaries({"display_id": st.text(max_size=2)}), "other": _JSON}
_CONTENT = st.fixed_dictionaries({}, optional={field: _PLAUSIBLE[field] | _VALUES for field in _FIELDS})


@examples(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["stream", "display_data", "execute_result", "error"]), content=_CONTENT)
def test_every_output_message_accepted_is_one_nbformat_accepts(kind, content):
    """The worker builds a piped kernel's outputs without nbformat's validation (`pipe_exec.output`):
    whatever `parse` accepts, nbformat's own `output_from_msg` (which validates) builds the same."""
    raw = json.dumps({"msg_type": kind, "content": content}).encode()
    try:
        msg = pipe_exec.parse(raw)
    except pipe_exec.MalformedOutput:
        return
    assert pipe_exec.output(msg) == nbformat.v4.output_from_msg(msg)


@pytest.mark.parametrize("kind, content", [
    ("stream", {"name": "stderr", "text": "a\n"}),
    ("display_data", {"data": {"text/plain": ["a", "b"], "application/vnd.x+json": {"k": [1, None]}}, "metadata": {"m": 1}}),
    ("execute_result", {"data": {"text/plain": "1"}, "metadata": {}, "execution_count": 0}),
    ("execute_result", {"data": {"application/json": [1.5]}, "execution_count": None}),
    ("error", {"ename": "E", "evalue": "", "traceback": ["a", "b"]}),
])
def test_well_formed_messages_of_every_kind_are_accepted_and_built_as_nbformat_builds_them(kind, content):
    """(So the property above is not vacuous: each kind's well-formed messages pass `parse`.)"""
    msg = pipe_exec.parse(json.dumps({"msg_type": kind, "content": content}).encode())
    assert pipe_exec.output(msg) == nbformat.v4.output_from_msg(msg)


@pytest.mark.parametrize("content", [
    {"data": {"text/json": {"a": 1}}, "metadata": {}},        # JSON under a type nbformat keeps as text
    {"data": {"text/plain": "a"}, "metadata": {}, "execution_count": -1},
    {"data": {"text/plain": "a"}, "metadata": {}, "execution_count": True},
    {"data": {"text/plain": "a"}, "metadata": {}},             # no prompt number at all
])
def test_an_execute_result_nbformat_would_refuse_is_the_kernels_error(content):
    with pytest.raises(pipe_exec.MalformedOutput):
        pipe_exec.parse(json.dumps({"msg_type": "execute_result", "content": content}).encode())


def test_the_module_index_answers_as_inspects_own_scan(tmp_path):
    """cellrunner's `inspect.getmodule` skips the scan of sys.modules when none came or went: for
    frames of cells, of modules and of a module imported after the first answer, for functions,
    classes and modules, it answers as the unpatched one."""
    (tmp_path / "late_module.py").write_text("import sys\ndef where():\n    return sys._getframe()\n")
    script = textwrap.dedent("""
        import inspect, sys, json
        sys.path.insert(0, sys.argv[1])
        scan = inspect.getmodule
        from grading import cellrunner
        cellrunner._index_modules_once()
        assert inspect.getmodule is not scan and inspect.getmodule.indexed
        cell = compile("import sys\\nframe = sys._getframe()", "<ipython-input-1-abc>", "exec")
        space = {}
        exec(cell, space)
        answers = []
        def ask(*objects):
            for o in objects:
                answers.append([str(inspect.getmodule(o)), str(scan(o))])
        ask(space["frame"], sys._getframe(), json.dumps, json.JSONEncoder, json, inspect.currentframe().f_code)
        import late_module   # imported after the index was made: found, as the scan finds it
        ask(late_module.where(), late_module.where, space["frame"])
        print(json.dumps(answers))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    assert len(answers) == 9 and all(ours == theirs for ours, theirs in answers), answers
    assert "late_module" in answers[6][0] and answers[0][0] == "None"


# With kernels forked into sandboxes (root and bubblewrap, as `make grade` runs them).

needs_zygote = [pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                                   reason="bubblewrap (bwrap) is not installed"),
                pytest.mark.skipif(not sandbox.preimport_available(), reason="kernels are forked only as root")]
SETTINGS = grader.Settings(cell_timeout=20, notebook_timeout=60, max_output_bytes=100_000)


@pytest.fixture(scope="module")
def run_dir():
    path = Path(tempfile.mkdtemp(prefix="pe-", dir="/tmp"))   # short: the unpiped kernels' sockets live below it
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run(run_dir, *sources, settings=SETTINGS, piped=True):
    """Run a notebook of `sources` as a student's is run; return (notebook, problem)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    scratch = Path(tempfile.mkdtemp(dir=run_dir))
    try:
        (scratch / "inputs").mkdir()
        os.chmod(scratch, 0o711)
        problem = run_notebook(nb, scratch, scratch / "inputs", cell_timeout=settings.cell_timeout,
                               notebook_timeout=settings.notebook_timeout, limits=settings.kernel_limits(),
                               max_output_bytes=settings.max_output_bytes,
                               max_notebook_bytes=settings.max_notebook_bytes, launcher=launcher.ZYGOTE,
                               piped=piped)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return nb, problem


def text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


FORGED = frame("display_data", {"data": {OBSERVATION_MIME: {"fn": "observe", "name": "x", "value": 1}},
                                "metadata": {}, "transient": {}})


@pytest.mark.usefixtures("run_dir")
class TestPipedKernel:
    pytestmark = needs_zygote

    def test_output_of_python_c_subprocesses_and_forked_children_is_kept_in_its_cell(self, run_dir):
        nb, problem = run(run_dir, "print('py'); import sys; print('err', file=sys.stderr)",
                          "import ctypes, os\nctypes.CDLL(None).printf(b'from C\\n')\nos.system('echo from-shell')",
                          "import os\nif os.fork() == 0:\n    print('child'); os._exit(0)\nos.wait()",
                          "from IPython.display import display, update_display\n"
                          "display({'text/plain': 'a'}, raw=True, display_id='d')\nupdate_display({'text/plain': 'b'}, raw=True, display_id='d')\n40 + 2",
                          "import helpers.checks as hc; hc.observe(3.0, 'three')", "1 / 0")
        assert problem is None
        assert text(nb.cells[0]) == "py\nerr\n"
        assert "from C" in text(nb.cells[1]) and "from-shell" in text(nb.cells[1])
        assert text(nb.cells[2]) == "child\n"
        assert [o.data["text/plain"] for o in nb.cells[3].outputs] == ["b", "42"]
        assert [o["value"]["values"] for o in observations(nb.cells[4])] == [[3.0]]
        assert [o.ename for o in nb.cells[5].outputs] == ["ZeroDivisionError"]
        assert [c.execution_count for c in nb.cells] == [1, 2, 3, 4, 5, 6]
        # when each cell ran, as nbclient records it (the report's time to grade reads it)
        from grading import observed
        assert all({"iopub.execute_input", "shell.execute_reply"} <= set(c.metadata.execution) for c in nb.cells)
        assert observed.seconds({"nb": nb}) >= 0

    def test_a_frame_forged_on_fd_1_is_text_not_an_observation(self, run_dir):
        nb, problem = run(run_dir, f"import os\nos.write(1, {FORGED!r})\nos.write(2, {FORGED!r})")
        assert problem is None
        assert observations(nb.cells[0]) == []
        assert OBSERVATION_MIME in text(nb.cells[0])

    def test_a_malformed_frame_on_the_pipe_is_the_students_error(self, run_dir):
        nb, problem = run(run_dir, "import os\nos.write(3, (9).to_bytes(4, 'big') + b'not json!')", "print('next')")
        assert str(problem).startswith("error: the kernel wrote a message that is not JSON")
        assert nb.cells[0].outputs[-1].ename == "DeadKernelError" and nb.cells[1].outputs == []

    def test_an_oversized_frame_caps_its_cell_visibly_and_the_next_cell_runs(self, run_dir):
        size = pipe_exec.MAX_FRAME + 1
        nb, problem = run(run_dir, f"import os\nos.write(3, ({size}).to_bytes(4, 'big'))\n"
                                   f"for _ in range({size // 2**20 + 1}):\n    os.write(3, b' ' * min(2**20, {size} - _ * 2**20))",
                          "print('next')")
        assert problem is None
        assert "passed the grader's cap" in text(nb.cells[0])
        assert text(nb.cells[1]) == "next\n"

    def test_output_past_the_cap_from_c_is_dropped_visibly(self, run_dir):
        nb, problem = run(run_dir, "import os\nos.system(\"head -c 3000000 /dev/zero | tr '\\\\0' x\")", "print('next')")
        assert problem is None
        assert "passed the grader's cap" in text(nb.cells[0])
        assert len(text(nb.cells[0])) < SETTINGS.max_output_bytes + 1000
        assert text(nb.cells[1]) == "next\n"

    @pytest.mark.parametrize("fd", [3, 4])
    def test_a_kernel_that_closes_its_pipe_died(self, run_dir, fd):
        nb, problem = run(run_dir, f"import os\nos.close({fd})", "print('next')")
        assert str(problem).startswith("error: the kernel died")

    def test_a_kernel_that_closes_its_output_pipe_and_lives_on_died_by_its_own_doing(self, run_dir):
        # its template is alive and has not reaped it yet: the notebook's doing, never the grader's
        # failure (TemplateLost), which would leave the student ungraded, retried run after run
        nb, problem = run(run_dir, "import os, time\nos.close(3)\ntime.sleep(15)", "print('next')")
        assert str(problem).startswith("error: the kernel died")
        assert nb.cells[1].outputs == []   # the next cell was not run

    def test_a_cell_that_never_ends_times_out_and_the_rest_is_not_run(self, run_dir):
        quick = dataclasses.replace(SETTINGS, cell_timeout=2)
        nb, problem = run(run_dir, "while True:\n    pass", "print('next')", settings=quick)
        assert str(problem).startswith("timeout: a cell ran longer than")
        assert nb.cells[0].outputs[-1].ename == "CellTimeoutError" and nb.cells[1].outputs == []

    def test_a_traceback_shows_each_frame_with_its_lines_in_plain_text(self, run_dir):
        nb, problem = run(run_dir, "def shape_of(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
                          "import torch\nM = torch.ones(2)\nshape_of(M)")
        assert problem is None
        error, = nb.cells[1].outputs
        traceback = "\n".join(error.traceback)
        assert error.ename == "NotImplementedError"
        assert "----> 3 shape_of(M)" in traceback and "----> 3     raise NotImplementedError()" in traceback
        assert "      2     # YOUR CODE HERE" in traceback and "in shape_of(x)" in traceback
        assert "\x1b[" not in traceback   # no terminal colours: the feedback shows it as it is

    def test_a_kernel_imports_what_the_graders_processes_go_without(self, run_dir):
        """grading/__init__.py keeps the grader's processes from importing rfc3987_syntax (a second
        of each start); a student's kernel, forked from the template, has it as installed."""
        from grading import NO_IMPORT
        graders = subprocess.run([sys.executable, "-c", "import grading, nbformat, sys\n"
                                  f"print([sys.modules.get(n, 0) for n in {NO_IMPORT!r}])"],
                                 capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        assert graders.stdout.strip() == str([None] * len(NO_IMPORT)), graders   # the grader's processes: none
        nb, problem = run(run_dir, "import importlib\n" + "".join(
            f"print(importlib.import_module({name!r}).__name__)\n" for name in NO_IMPORT))
        assert problem is None and text(nb.cells[0]).split() == list(NO_IMPORT), nb.cells[0].outputs

    def test_the_ipykernel_path_gives_the_same_outputs(self, run_dir):
        sources = ("print('a')", "import helpers.checks as hc; hc.observe([1.0, 2.0], 'pair')", "40 + 2",
                   "raise ValueError('no')")
        piped, problem = run(run_dir, *sources)
        jupyter, problem_unpiped = run(run_dir, *sources, piped=False)
        assert problem is problem_unpiped is None

        def shape(nb):
            return [[(o.output_type, o.get("text"), json.dumps(o.get("data"), sort_keys=True), o.get("ename"), o.get("evalue"))
                     for o in c.outputs] for c in nb.cells]
        assert shape(piped) == shape(jupyter)

    @pytest.mark.parametrize("piped", [True, False])
    def test_nothing_of_a_sandbox_runs_once_its_notebook_returns_and_it_is_gone_before_the_next_kernel(
            self, run_dir, piped):
        """The sandbox's removal goes on beside the worker's next notebook (grading/notebook.py:
        `_remove_later`), but what it ran is killed before `run_notebook` returns: a child left
        writing to the one host folder it can write stops growing its file at once; and once
        the next kernel may start (`finish_removals`), no process of the old kernel's uid and
        none of its cgroup is left."""
        from grading import cgroup, notebook, proc
        writer = ("import os, sys, time\n"
                  "path = os.path.join(os.path.dirname(sys.argv[-1]), 'heartbeat')\n"
                  "while True:\n"
                  "    with open(path, 'a') as out:\n"
                  "        out.write('x')\n"
                  "    time.sleep(0.002)\n")
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import os, subprocess, sys, time\n"
            f"children = [subprocess.Popen([sys.executable, '-c', {writer!r}, sys.argv[-1]], start_new_session=True)\n"
            "            for _ in range(3)]\n"
            "time.sleep(0.5)\n"
            "print(os.getuid())")])
        scratch = Path(tempfile.mkdtemp(dir=run_dir))
        heartbeat = scratch / "ipc" / "heartbeat"
        try:
            (scratch / "inputs").mkdir()
            os.chmod(scratch, 0o711)
            problem = run_notebook(nb, scratch, scratch / "inputs", limits=SETTINGS.kernel_limits(),
                                   launcher=launcher.ZYGOTE, piped=piped)
            returned = heartbeat.stat().st_size
            time.sleep(0.3)
            later = heartbeat.stat().st_size
            uid = int(text(nb.cells[0]))
            notebook.finish_removals()
            assert problem is None and returned > 0, nb.cells[0].outputs
            assert later - returned <= 3, "a child of the notebook ran on after it returned"   # (a write under way)
            assert proc.pids_of(uid) == [], "a process of the old kernel's uid outlived its removal"
            own = [group for group in cgroup.left_below(run_dir) if Path(group).name == cgroup.name_for(scratch)]
            assert own == [], "the old sandbox's cgroup outlived its removal"
        finally:
            notebook.finish_removals()
            shutil.rmtree(scratch, ignore_errors=True)

    def test_a_process_that_exits_right_after_a_notebook_leaves_no_cgroup(self, run_dir):
        """The removal of a notebook's sandbox is a daemon thread of its worker; a worker (here a
        script) that exits right after its notebook waits for it, so no group is left behind."""
        from grading import cgroup
        scratch = Path(tempfile.mkdtemp(dir=run_dir))
        (scratch / "inputs").mkdir()
        os.chmod(scratch, 0o711)
        script = ("import sys, nbformat\nfrom grading import launcher\nfrom grading.notebook import run_notebook\n"
                  "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])\n"
                  f"problem = run_notebook(nb, {str(scratch)!r}, {str(scratch / 'inputs')!r}, launcher=launcher.ZYGOTE)\n"
                  "sys.exit(0 if problem is None else 3)\n")
        try:
            done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                                  cwd=Path(__file__).resolve().parent.parent)
            assert done.returncode == 0, done.stderr[-2000:]
            own = [group for group in cgroup.left_below(run_dir) if Path(group).name == cgroup.name_for(scratch)]
            assert own == [], "the sandbox's cgroup outlived the process that ran it"
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


class TestSharedTemplate:
    """`make grade`'s local workers fork their kernels from one template the grading process starts
    (grading/kernel.py: `Shared`): a worker connects to its socket, which no kernel can reach, and a
    worker whose shared template is gone starts one of its own."""
    pytestmark = needs_zygote

    @pytest.fixture
    def shared(self, run_dir):
        from grading import kernel

        def forget():   # this process's template, as a fresh worker has none
            if kernel._zygote is not None:
                kernel._zygote.close()
                kernel._zygote = None
        forget()
        template = kernel.Shared(run_dir, tuple(kernel.EXTRAS))   # what `run` asks for
        kernel.share((template.path, template.extras))
        try:
            yield template
        finally:
            kernel.share(None)
            forget()
            template.close()

    def test_kernels_fork_from_the_shared_template_which_no_kernel_can_reach(self, run_dir, shared):
        from grading import kernel
        probe = (f"import os, socket\npath = {shared.path!r}\n"
                 "s = socket.socket(socket.AF_UNIX)\n"
                 "try:\n    s.connect(path)\n    print('CONNECTED')\n"
                 "except OSError as err:\n    print('REFUSED', type(err).__name__)\n"
                 "print('SEEN' if os.path.exists(os.path.dirname(path)) else 'UNSEEN')")
        nb, problem = run(run_dir, probe)
        assert problem is None
        assert kernel._zygote is not None and kernel._zygote.process is None   # connected, not its own
        assert text(nb.cells[0]).splitlines() == ["REFUSED FileNotFoundError", "UNSEEN"], text(nb.cells[0])
        again, problem = run(run_dir, "print(6 * 7)")   # a second kernel from the same template
        assert problem is None and text(again.cells[0]) == "42\n"

    def test_a_connection_that_is_not_roots_is_refused(self, run_dir, shared):
        from grading import kernel
        run(run_dir, "1")   # the template is up
        os.chmod(shared.home, 0o711)   # past the first guard (a folder only root may enter) for this test
        os.chmod(shared.path, 0o777)
        child = os.fork()
        if child == 0:   # as a kernel's uid, outside any sandbox: connected, then dropped unanswered
            code = 1
            try:
                os.setuid(bwrap.sandbox_uid())
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(20)
                s.connect(shared.path)
                code = 0 if s.recv(100) == b"" else 2
            except Exception:
                code = 3
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0   # connected, and closed without an answer
        assert kernel._zygote.alive()

    def test_a_worker_that_breaks_its_connection_leaves_the_template_serving_the_others(self, run_dir, shared):
        from grading import kernel
        run(run_dir, "1")   # the template is up, and this worker connected
        for garbage in (b"\x00" * 7 + b"\x05" + b"nope!", b"\x00" * 4):   # not JSON; a request cut short
            other = socket.socket(socket.AF_UNIX)
            other.settimeout(60)
            other.connect(shared.path)
            assert other.recv(100).startswith(b'{"ready"')
            other.sendall(garbage)
            other.close()
        nb, problem = run(run_dir, "print('served')")
        assert problem is None and text(nb.cells[0]) == "served\n"
        assert kernel._zygote.process is None and shared.process.poll() is None   # the same, shared template

    def test_a_worker_whose_shared_template_died_starts_its_own(self, run_dir, shared):
        from grading import kernel
        run(run_dir, "1")
        shared.kill()
        nb, problem = run(run_dir, "print('still graded')")
        assert problem is None and text(nb.cells[0]) == "still graded\n"
        assert kernel._zygote.process is not None and kernel.SHARED is None

    def test_a_template_that_dies_under_a_running_kernel_is_the_graders_failure(self, run_dir, shared):
        from grading import kernel
        from grading.notebook import TemplateLost
        run(run_dir, "1")
        pid = shared.process.pid

        def kill_under_the_kernel():   # the OOM killer, say, once a student's cell runs (however busy the machine)
            deadline = time.monotonic() + 120
            while not Path(f"/proc/{pid}/task/{pid}/children").read_text().split() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1)
            shared.kill()
        killer = threading.Thread(target=kill_under_the_kernel)
        killer.start()
        try:
            with pytest.raises(TemplateLost):   # not "the kernel died", the student's error
                run(run_dir, "import time\ntime.sleep(30)", "print('never')")
        finally:
            killer.join()
        nb, problem = run(run_dir, "print('graded on the retry')")   # the retry: a template of its worker's own
        assert problem is None and text(nb.cells[0]) == "graded on the retry\n"
        assert kernel._zygote.process is not None

    def test_a_kernel_that_cannot_be_forked_is_the_graders_failure(self, run_dir, shared, monkeypatch):
        from grading import kernel
        from grading.notebook import KernelSetupError

        def gone(self, pipes=(), **request):   # the template died between the worker's check and its fork
            raise RuntimeError("the kernel template is gone: [Errno 32] Broken pipe")
        monkeypatch.setattr(kernel.Zygote, "fork", gone)
        with pytest.raises(KernelSetupError, match="template is gone"):   # tried again, not the student's error
            run(run_dir, "print('never run')")
