"""Hostile and broken submissions, graded in one class by `make grade`'s grader.

Each case is built from assignment 1's student copy and asserts its exact score and status. In
the same run two honest students must get exactly what they get when graded alone, and the
course's files, helpers/ and the gradebook must come through untouched.
"""
import contextlib
import dataclasses
import hashlib
import html
import os
import resource
import shutil
import sqlite3
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, processes_naming
from grading import cgroup, course, demo, grader, grades, sandbox
from grading.gradebook import Course

NAME = "01_tensor_basics"
FILE = f"{NAME}.ipynb"
ANSWERS = ("subtract_three_ways", "normal_matrix", "pairwise_dots", "cubic_gradients")
TESTS = {"test_subtract_values", "test_subtract_inplace", "test_normal_seed", "test_normal_stats",
         "test_pairwise_dots", "test_gradient_full", "test_gradient_partial"}

# Skipped only where bubblewrap is missing outside CI; in CI (which installs it) these must run.
pytestmark = pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                                reason="bubblewrap (bwrap) is not installed")


def _nbs():
    (_, source_nb, release_nb), = demo.notebooks(REPO, NAME)
    full = demo.solution_cells(source_nb)
    wrong = dict(full, **demo.demo_data(NAME)["answers"])
    return release_nb, full, wrong


def prefixed(answers, cell, code):
    """Answers with `code` run at the start of one answer cell."""
    return dict(answers, **{cell: code + "\n" + answers[cell]})


def suffixed(answers, cell, code):
    return dict(answers, **{cell: answers[cell] + "\n" + code})


def cases(course_root):
    release, full, wrong = _nbs()
    fill = lambda answers: demo.fill(release, answers)  # noqa: E731
    forge = lambda code: demo.fill(release, {cell: code for cell in ANSWERS})  # noqa: E731
    gradebook = course_root / "gradebook.db"
    source_nb = course_root / "source" / NAME / FILE

    def without_tests(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in TESTS]
        return nb

    def edited_tests(nb):
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") in TESTS:
                c.source = "pass"
        return nb

    def tests_first(nb):
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in TESTS]
        nb.cells = tests + [c for c in nb.cells if c not in tests]
        return nb

    def empty(nb):
        nb.cells = []
        return nb

    always_equal = """class Anything:
    shape = (3, 4)
    def __eq__(self, other):
        return True
    def __float__(self):
        return 0.0
def pairwise_dots(P, Q):
    return Anything()"""
    writes = f"""import pathlib
failed = []
for target in [{str(gradebook)!r}, {str(REPO / 'helpers' / 'checks.py')!r}, {str(source_nb)!r}]:
    try:
        pathlib.Path(target).write_text('pwned')
    except OSError as err:
        failed.append(type(err).__name__)
print('WRITES FAILED:', len(failed))"""
    reads = f"""leaked = []
for target in [{str(source_nb)!r}, {str(gradebook)!r}, {str(REPO / 'source' / NAME / FILE)!r}]:
    try:
        leaked.append(len(open(target, 'rb').read()))
    except OSError:
        pass
print('LEAKED' if leaked else 'NOLEAK')"""
    # Forgeries: each tries to earn marks without solving anything, by changing what the kernel
    # reports. They must score exactly 0; their status may be anything (some also run into a cap).
    fake_runner = """from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult
def _skip(raw_cell, *args, **kwargs):
    return ExecutionResult(ExecutionInfo(raw_cell, False, True, None, None))
async def _skip_async(raw_cell, *args, **kwargs):
    return _skip(raw_cell)
get_ipython().run_cell = _skip
get_ipython().run_cell_async = _skip_async"""
    fake_execute_handler = """kernel = get_ipython().kernel
async def _reply_ok_without_running(stream, ident, parent):
    kernel.execution_count += 1
    kernel.session.send(stream, "execute_reply", {"status": "ok", "execution_count": kernel.execution_count,
                        "user_expressions": {}, "payload": []}, parent, ident=ident)
kernel.shell_handlers["execute_request"] = _reply_ok_without_running"""
    fake_module = """import contextlib, sys, types
fake = types.ModuleType("helpers.checks")
fake.assert_close = fake.assert_tensor = fake.assert_finite = fake.check = lambda *a, **k: None
fake.observe = lambda value, *a, **k: value
fake.to_floats = lambda *a, **k: [0.0]
fake.forbid = lambda *a: contextlib.nullcontext()
fake.warnings_to_stdout = lambda: None
"""
    substitute_checks = fake_module + """sys.modules["helpers.checks"] = fake
import helpers
helpers.checks = fake"""
    import_hook = fake_module + """import builtins
_real_import = builtins.__import__
def _import(name, globals=None, locals=None, fromlist=(), level=0):
    return fake if name == "helpers.checks" else _real_import(name, globals, locals, fromlist, level)
builtins.__import__ = _import"""
    # Answers of the right shapes but made-up values, and checks that report what they were told.
    shapes = """def subtract_three_ways(M, N):
    shape = torch.broadcast_shapes(M.shape, N.shape)
    return torch.zeros(shape), torch.zeros(shape), RuntimeError("no")
def normal_matrix(rows, cols, std, seed):
    return torch.zeros(rows, cols)
def pairwise_dots(P, Q):
    return torch.zeros(len(P), len(Q))
def cubic_gradients(x):
    return torch.zeros_like(x), torch.zeros_like(x)
"""
    echo_expected = shapes + """import helpers.checks as hc
hc.assert_close = lambda actual, expected, *a, name="", **k: hc._emit("assert_close", name, hc.encode(expected))
hc.check = lambda condition, message: hc._emit("check", message, hc.encode(True))"""
    repatching_thread = """import threading, time
import helpers.checks as hc
def _keep_patched():
    while True:
        hc.assert_close = hc.assert_tensor = hc.check = hc.observe = lambda *a, **k: None
        hc.sink = None
        time.sleep(0.001)
threading.Thread(target=_keep_patched, daemon=True).start()"""
    settrace = shapes + """import ctypes, sys, threading
import helpers.checks as hc
TRUE = hc.encode(True)
def _trace(frame, event, arg):
    if event == "call" and frame.f_code is hc._emit.__code__:
        frame.f_locals["value"] = TRUE
        ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))
    return None
sys.settrace(_trace)
threading.settrace(_trace)
sys.setprofile(lambda frame, event, arg: None)"""
    rewrite_display = shapes + """import helpers.checks as hc
pub = get_ipython().display_pub
_publish = pub.publish
def _forged(data, metadata=None, **kwargs):
    if hc.OBSERVATION_MIME in data:
        data = {hc.OBSERVATION_MIME: dict(data[hc.OBSERVATION_MIME], value=hc.encode(True))}
    return _publish(data, metadata, **kwargs)
pub.publish = _forged"""
    hide_errors = """kernel = get_ipython().kernel
_send = kernel.session.send
def _send_no_errors(stream, msg_or_type, content=None, parent=None, *args, **kwargs):
    if msg_or_type == "error":
        return None
    if msg_or_type == "execute_reply" and content and content.get("status") == "error":
        content = {"status": "ok", "execution_count": content.get("execution_count", 0),
                   "user_expressions": {}, "payload": []}
    return _send(stream, msg_or_type, content, parent, *args, **kwargs)
kernel.session.send = _send_no_errors"""
    flood_observations = shapes + """import helpers.checks as hc
_emit = hc._emit
def _many(*args, **kwargs):
    for _ in range(3):
        _emit(*args, **kwargs)
hc._emit = _many"""
    hide_traceback = """from IPython.core.interactiveshell import InteractiveShell
InteractiveShell.showtraceback = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None"""

    def write_3gb(prefix):   # 12 files of 250 MB (one file is capped at 256 MB by itself), in 1 MB writes
        return (f"for _i in range(12):\n    with open(f'{prefix}{{_i}}', 'wb') as _f:\n"
                f"        for _ in range(250):\n            _f.write(b'0' * 2**20)")
    fork_bomb = """import os, time
for _ in range(5000):
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)"""
    thread_bomb = """import threading, time
threading.stack_size(64 * 1024)
for _ in range(5000):
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()"""
    # Issue 23: what a kernel can reach. Each prints what it found; the tests below read it.
    leak_environment = """import glob, os
seen = dict(os.environ)
for path in glob.glob('/proc/*/environ'):
    try:
        seen[path] = open(path, 'rb').read().decode(errors='replace')
    except OSError:
        pass
print('ENVIRONMENT:', seen)"""
    # Looks for anything of this course: a name or a notebook, database or data file that names the
    # assignment or its hidden tests; and any unix socket but its own kernel's.
    walker = """import os, socket, stat
found = []
marks = (b'tensor_basics', b'test_pairwise_dots', b'BEGIN HIDDEN TESTS')
own = os.path.dirname(os.path.dirname(os.getcwd()))   # the scratch folder holding its own sockets
for top, dirs, files in os.walk('/', onerror=lambda err: None):
    # not the kernel's own fresh mounts (its /tmp holds IPython's history of this very cell), nor
    # nbgrader's own package (its docs and fixtures are public, not this course's)
    if top in ('/proc', '/sys', '/dev', '/tmp', os.getcwd()) or 'site-packages/nbgrader' in top:
        dirs[:] = []
        continue
    for name in dirs + files:
        path = os.path.join(top, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISSOCK(info.st_mode) and not path.startswith(own):
            found.append(('socket', path))
        elif 'tensor_basics' in name or name in ('submitted', 'autograded', 'feedback'):
            found.append(('name', path))
        elif stat.S_ISREG(info.st_mode) and info.st_size < 2**24 and name.endswith(('.ipynb', '.db', '.json', '.txt', '.csv', '.sqlite')):
            try:
                data = open(path, 'rb').read()
            except OSError:
                continue
            if any(mark in data for mark in marks):
                found.append(('content', path))
for path in ('/run/postgresql/.s.PGSQL.5432', '/var/run/postgresql/.s.PGSQL.5432', '/var/run/docker.sock', '/run/dbus/system_bus_socket'):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        found.append(('connected', path))
    except OSError:
        pass
print('WALKER FOUND:', len(found), found[:20])"""
    # Processes of one sandbox together past its cgroup's memory cap (each under the per-process cap).
    memory_hog = """import os, time
children = []
for _ in range(6):
    pid = os.fork()
    if pid == 0:
        hold = [bytes([1]) * 2**26 for _ in range(16)]   # 1 GB, touched
        time.sleep(3)
        os._exit(0)
    children.append(pid)
killed = 0
for pid in children:
    _, wait_status = os.waitpid(pid, 0)
    killed += os.WIFSIGNALED(wait_status)
print('HOGS KILLED:', killed)"""
    flood_update_display = """from IPython.display import display, update_display
for i in range(20):
    display({'text/plain': 'x'}, raw=True, display_id=f'd{i}')
for i in range(20):
    update_display({'text/plain': 'y' * (20 * 2**20)}, raw=True, display_id=f'd{i}')"""
    flood_comms = """from comm import create_comm
for i in range(30):
    create_comm(target_name='jupyter.widget', data={'state': {'value': 'z' * (20 * 2**20)}, 'buffer_paths': []})"""

    def flood_cells(nb, count=150, size=190_000):   # many cells, each under the per-cell cap
        nb.cells += [nbformat.v4.new_code_cell(f"print('c' * {size})") for _ in range(count)]
        return nb

    # The one host folder the kernel can write: its IPC folder, named in the kernel's argv.
    fill_ipc = "import os, sys\nos.chdir(os.path.dirname(sys.argv[sys.argv.index('-f') + 1]))\n" + write_3gb("fill")
    limits = SETTINGS.limits
    resources = {
        "fills_tmp": ({FILE: fill(prefixed(full, "pairwise_dots", write_3gb("/tmp/fill")))}, 10,
                      f"limit: used all {limits.tmp_mb} MB of /tmp"),
        "fills_working_folder": ({FILE: fill(prefixed(full, "pairwise_dots", write_3gb("fill")))}, 10,
                                 f"limit: used all {limits.disk_mb} MB of its working folder"),
        "fork_bomb": ({FILE: fill(prefixed(full, "pairwise_dots", fork_bomb))}, 10,
                      f"limit: reached its cap of {limits.max_tasks} processes and threads"),
        "thread_bomb": ({FILE: fill(prefixed(full, "pairwise_dots", thread_bomb))}, 10,
                        f"limit: reached its cap of {limits.max_tasks} processes and threads"),
        "fills_ipc_folder": ({FILE: fill(prefixed(full, "pairwise_dots", fill_ipc))}, 5,
                             f"limit: wrote more than {limits.file_mb} MB outside its working folder"),
        "cpu_burner": ({FILE: fill(prefixed(full, "pairwise_dots", "while True:\n    pass"))}, 5,
                       f"limit: used more than {limits.cpu_seconds} s of CPU time"),
    }
    reach = {
        "leaks_environment": ({FILE: fill(prefixed(full, "subtract_three_ways", leak_environment))}, 11, "graded"),
        "walks_filesystem": ({FILE: fill(prefixed(full, "subtract_three_ways", walker))}, 11, "graded"),
        "memory_hog": ({FILE: fill(prefixed(full, "pairwise_dots", memory_hog))}, 11,
                       f"limit: used more than its {SETTINGS.memory_mb} MB of memory"),
        # Floods are dropped past the caps; the tests after them still pass.
        "flood_update_display": ({FILE: fill(suffixed(full, "subtract_three_ways", flood_update_display))}, 11, "graded"),
        "flood_comms": ({FILE: fill(suffixed(full, "subtract_three_ways", flood_comms))}, 11, "graded"),
        "flood_many_cells": ({FILE: flood_cells(fill(full))}, 11, "graded"),
    }
    return resources | reach | {
        # name: (files {filename: notebook or raw text}, expected score, expected status prefix)
        "alice_honest": ({FILE: fill(full)}, 11, "graded"),
        "carol_honest": ({FILE: fill(wrong)}, 10, "graded"),
        "invalid_json": ({FILE: nbformat.writes(fill(full))[:500]}, 0, "error: 01_tensor_basics.ipynb is not valid JSON"),
        "empty_notebook": ({FILE: empty(fill(full))}, 0, "error: 01_tensor_basics.ipynb is the notebook has no cells"),
        "renamed_notebook": ({"my_homework.ipynb": fill(full)}, 0, "error: missing notebook 01_tensor_basics.ipynb"),
        "deleted_tests": ({FILE: without_tests(fill(full))}, 11, "graded"),
        "edited_tests": ({FILE: edited_tests(fill(wrong))}, 10, "graded"),
        "reordered_tests": ({FILE: tests_first(fill(full))}, 11, "graded"),
        "infinite_loop": ({FILE: fill(suffixed(full, "subtract_three_ways", "import time\nwhile True:\n    time.sleep(0.01)"))}, 0, "timeout"),
        "memory_bomb": ({FILE: fill(prefixed(full, "pairwise_dots", "hog = bytearray(64 * 2**30)"))}, 10, "graded"),
        "huge_output": ({FILE: fill(suffixed(full, "subtract_three_ways", "print('x' * (100 * 2**20))"))}, 11, "graded"),
        "os_exit": ({FILE: fill(prefixed(full, "normal_matrix", "import os\nos._exit(0)"))}, 3, "error: the kernel died"),
        "exception": ({FILE: fill(prefixed(full, "pairwise_dots", "raise ValueError('broken')"))}, 10, "graded"),
        "patch_allclose": ({FILE: fill(prefixed(wrong, "subtract_three_ways", "torch.allclose = lambda *a, **k: True"))}, 10, "graded"),
        "patch_equal": ({FILE: fill(prefixed(wrong, "subtract_three_ways", "torch.equal = lambda *a, **k: True"))}, 10, "graded"),
        "patch_assert_close": ({FILE: fill(prefixed(wrong, "subtract_three_ways", "torch.testing.assert_close = lambda *a, **k: None"))}, 10, "graded"),
        "patch_numpy_allclose": ({FILE: fill(prefixed(wrong, "subtract_three_ways", "import numpy\nnumpy.allclose = lambda *a, **k: True"))}, 10, "graded"),
        "patch_math_isclose": ({FILE: fill(prefixed(wrong, "subtract_three_ways", "import math\nmath.isclose = lambda *a, **k: True"))}, 10, "graded"),
        # Disabling the course's own checks only loses their observations: the tests that use them fail.
        "patch_course_checks": ({FILE: fill(prefixed(wrong, "subtract_three_ways", "import helpers.checks\nhelpers.checks.assert_close = lambda *a, **k: None"))}, 5, "graded"),
        "always_equal_object": ({FILE: fill(dict(full, pairwise_dots=always_equal))}, 10, "graded"),
        "hidden_tracebacks": ({FILE: fill(prefixed(wrong, "subtract_three_ways", hide_traceback))}, 10, "graded"),
        "writes_course_files": ({FILE: fill(prefixed(full, "subtract_three_ways", writes))}, 11, "graded"),
        "reads_hidden_tests": ({FILE: fill(prefixed(full, "subtract_three_ways", reads))}, 11, "graded"),
        "forge_fake_cell_runner": ({FILE: fill(suffixed(full, "subtract_three_ways", fake_runner))}, 0, ""),
        "forge_execute_handler": ({FILE: forge(fake_execute_handler)}, 0, ""),
        "forge_substitute_checks_module": ({FILE: forge(substitute_checks)}, 0, ""),
        "forge_import_hook": ({FILE: forge(import_hook)}, 0, ""),
        "forge_echo_expected_values": ({FILE: forge(echo_expected)}, 0, ""),
        "forge_repatching_thread": ({FILE: forge(repatching_thread)}, 0, ""),
        "forge_settrace": ({FILE: forge(settrace)}, 0, ""),
        "forge_rewritten_display": ({FILE: forge(rewrite_display)}, 0, ""),
        "forge_hidden_errors": ({FILE: forge(hide_errors)}, 0, ""),
        "forge_flooded_observations": ({FILE: forge(flood_observations)}, 0, ""),
    }


# Secrets in the grading process's environment (as a hub's grader holds them): no kernel, autograded
# notebook or feedback page may show them.
SECRETS = {"COURSE_DB_PASSWORD_PROBE": "postgresql://grader:Pr0be-S3cret-9f2c@localhost/dlcourse",
           "JUPYTERHUB_API_TOKEN": "tok-3e1b9a7c5d2f4e6a8b0c1d2e3f4a5b6c",
           "PGPASSWORD": "pgpass-7d5e3c1a9b8f"}


def write_class(course_root, class_cases):
    for student, (files, _, _) in class_cases.items():
        folder = course_root / "submitted" / student / NAME
        folder.mkdir(parents=True)
        for filename, content in files.items():
            if isinstance(content, str):
                (folder / filename).write_text(content)
            else:
                nbformat.write(content, folder / filename)


def tree_hash(*folders):
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


# A CPU cap well below the cell timeout, so that a CPU burner meets the cap before the timeout
# even when it gets a fifth of a core (at load 9 on 2 cores, 12 s of CPU took 60 s of wall time
# and ran into a 30 s timeout), and well above what the fork bomb spends reaching the process cap:
# 250 forks of a kernel with torch loaded cost 3.4 s of CPU on a quiet machine, and went past a
# 6 s cap on a busy one.
SETTINGS = grader.Settings(workers=2, cell_timeout=90, notebook_timeout=180, memory_mb=3072,
                           limits=sandbox.Limits(cpu_seconds=12))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, gradebook):
    root = demo.make_course(tmp_path_factory.mktemp("redteam") / "course", [NAME], gradebook)
    class_cases = cases(root)
    write_class(root, class_cases)
    before = tree_hash(root / "source", root / "release", REPO / "helpers")
    scratch = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))   # short: the kernels' sockets live below it
    # A world-readable copy of the course outside every folder the grader knows (as an instructor's
    # second checkout would be): the filesystem walker must not find it.
    world = Path(tempfile.mkdtemp(prefix="rt-course-copy-", dir="/var/tmp"))
    shutil.copytree(root, world / "course", ignore=shutil.ignore_patterns("submitted"))
    for path in [world, *world.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with _environment(SECRETS):
        status = grader.grade(root, NAME, dataclasses.replace(SETTINGS, scratch=str(scratch)), out=lambda *_: None, progress=False)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) * 1024
    yield root, class_cases, status, grades.scores(root, NAME), before, (scratch,), growth
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(world, ignore_errors=True)


@contextlib.contextmanager
def _environment(values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_every_case_gets_its_exact_score_and_status(graded_class):
    root, class_cases, status, scores = graded_class[:4]
    wrong = {}
    for student, (_, score, prefix) in class_cases.items():
        got = (scores.get(student, (0.0, None))[0], status.get(student, ""))
        if got[0] != score or not got[1].startswith(prefix):
            wrong[student] = f"expected {score} / {prefix!r}, got {got}"
    assert wrong == {}
    assert len(class_cases) >= 23


def test_at_least_eight_forgeries_each_score_zero(graded_class):
    """Patched cell runner and request handler, a substitute checks module (sys.modules, the
    import system), checks that echo the visible expected values, a thread that re-patches,
    sys.settrace, a rewritten display channel, hidden errors, flooded observations: the verdict
    is decided outside the kernel, so none of them earns a point."""
    _, class_cases, status, scores = graded_class[:4]
    forged = {s: scores.get(s, (0.0, None))[0] for s in class_cases if s.startswith("forge_")}
    assert len(forged) >= 8
    assert forged == dict.fromkeys(forged, 0)


def test_resource_hogs_leave_nothing_behind(graded_class):
    """3 GB into /tmp, into the working folder and into the IPC folder, fork and thread bombs, a
    CPU burner and a memory hog were each stopped at their cap (their statuses are checked above);
    afterwards, seen from the run's own state: its scratch folder is empty, no process names it,
    and no cgroup of its sandboxes remains (their tmpfs mounts went with their last process)."""
    scratch = graded_class[5][0]
    assert list(scratch.iterdir()) == []
    assert processes_naming(scratch) == []
    assert cgroup.left_below(scratch) == []


def test_course_files_helpers_and_gradebook_are_untouched(graded_class):
    root, class_cases, _, _, before = graded_class[:5]
    assert tree_hash(root / "source", root / "release", REPO / "helpers") == before
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        students = {row[0] for row in db.execute("select student_id from submitted_assignment")}
    assert students == set(class_cases)
    recorded = grades.load_status(root, NAME)[NAME]
    assert set(recorded) == set(class_cases)


def _outputs(root, student):
    nb = nbformat.read(root / "autograded" / student / NAME / FILE, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_sandbox_blocked_reads_writes_and_floods(graded_class):
    root = graded_class[0]
    assert "WRITES FAILED: 3" in _outputs(root, "writes_course_files")
    assert "NOLEAK" in _outputs(root, "reads_hidden_tests")
    assert (root / "autograded" / "huge_output" / NAME / FILE).stat().st_size < 2 * 2**20
    assert "passed the grader's cap" in _outputs(root, "huge_output")


def test_feedback_never_shows_hidden_tests(graded_class):
    root, class_cases = graded_class[:2]
    # Feedback for the students whose test cells failed with tracebacks (hidden asserts among them).
    failing = ["carol_honest", "edited_tests", "patch_allclose", "patch_math_isclose", "patch_course_checks",
               "always_equal_object", "hidden_tracebacks", "memory_bomb", "os_exit"]
    api = course.nbgrader_api(root)
    with course.in_dir(root):
        for student in failing:
            assert api.generate_feedback(NAME, student, force=True)["success"], student
    source = nbformat.read(root / "source" / NAME / FILE, as_version=4)
    secret = []
    for cell in source.cells:
        if "### BEGIN HIDDEN TESTS" in cell.source:
            block = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            secret += [line.strip() for line in block.splitlines() if len(line.strip()) > 15]
    pages = list((root / "feedback").rglob("*.html"))
    assert len(pages) == len(failing)
    for page in pages:
        text = html.unescape(page.read_text())
        assert [line for line in secret if line in text] == [], page


def test_honest_students_score_as_when_graded_alone(graded_class, tmp_path, gradebook):
    root, class_cases, _, scores = graded_class[:4]
    alone = demo.make_course(tmp_path / "alone", [NAME], gradebook)
    write_class(alone, {k: class_cases[k] for k in ("alice_honest", "carol_honest")})
    grader.grade(alone, NAME, SETTINGS, out=lambda *_: None, progress=False)
    solo = grades.scores(alone, NAME)
    for student in ("alice_honest", "carol_honest"):
        assert scores[student] == solo[student]


# What a kernel can reach (issue 23): measured from what the kernels printed and what the grader wrote.

def _all_text(root):
    """Every file the grader wrote for the class (autograded notebooks, feedback pages), as text."""
    return {path: path.read_bytes().decode(errors="replace")
            for folder in ("autograded", "feedback") for path in (root / folder).rglob("*") if path.is_file()}


def test_no_secret_of_the_grader_reaches_a_kernel_or_a_page(graded_class):
    """The grading process held a database URL with its password and two tokens in its
    environment. The kernel that printed every environment it could read (its own and every
    /proc/*/environ) found none, and neither the autograded notebooks nor the feedback show one."""
    root = graded_class[0]
    api = course.nbgrader_api(root)
    with course.in_dir(root):
        assert api.generate_feedback(NAME, "leaks_environment", force=True)["success"]
    printed = _outputs(root, "leaks_environment")
    assert "ENVIRONMENT:" in printed and "COURSE_OBSERVE" in printed   # it did print its environment
    leaks = {(str(path), name) for path, text in _all_text(root).items()
             for name, secret in SECRETS.items() if secret in text or name in text}
    assert leaks == set()


def test_a_filesystem_walker_finds_no_course_file_gradebook_or_socket(graded_class):
    """Walking every folder it can see (a world-readable copy of the course sits in /var/tmp), and
    connecting to the usual unix sockets, a kernel finds no notebook with solutions or hidden
    tests, no gradebook, no submitted/autograded/feedback/exchange folder and no socket."""
    printed = _outputs(graded_class[0], "walks_filesystem")
    assert "WALKER FOUND: 0 []" in printed, printed[-2000:]


def test_a_memory_hog_is_stopped_at_the_sandbox_cap(graded_class):
    """Six processes of 1 GB each, every one under the per-process cap: the sandbox's cgroup
    killed some of them (the status names the cap, checked above), its kernel went on."""
    printed = _outputs(graded_class[0], "memory_hog")
    killed = int(printed.split("HOGS KILLED:")[1].split()[0])
    assert 1 <= killed <= 6


# The grading process holds at most a notebook per worker and one being recorded: each is kept
# under the per-notebook output cap, whatever the kernel printed (20 display updates of 20 MB, 30
# widget states of 20 MB, 150 cells of 190 kB: 400 MB, 600 MB and 28 MB before the caps).
GRADER_GROWTH_BOUND = 400 * 2**20


def test_output_floods_leave_the_grader_under_its_bound(graded_class):
    root, growth = graded_class[0], graded_class[6]
    cap = SETTINGS.max_notebook_bytes
    for student in ("flood_update_display", "flood_comms", "flood_many_cells", "huge_output"):
        size = (root / "autograded" / student / NAME / FILE).stat().st_size
        assert size < cap + 2 * 2**20, (student, size)
        assert "passed the grader's cap" in _outputs(root, student) or student == "flood_comms"
    assert growth < GRADER_GROWTH_BOUND, f"the grading process grew by {growth / 2**20:.0f} MB"


# Submissions are data (issue 23)
#
# One class, graded once: students who submit through the real exchange (nbgrader's ExchangeSubmit,
# then the course's `nbgrader collect` as root) and then plant links to a root-only file, to
# /etc/shadow, to another student's submission, a FIFO and a device node in their inbound folder,
# or backdate their timestamp.txt; students whose submitted/ folder holds a link or a FIFO (as a
# hand-made or LMS copy could); and students whose notebook or timestamp.txt is malformed. Two
# honest students must be graded as usual, every hostile file must be refused, every malformed
# submission must be its student's `error: ...`.
import datetime as _dt  # noqa: E402
import json as _json  # noqa: E402
import stat as _stat  # noqa: E402
import subprocess as _subprocess  # noqa: E402
import sys as _sys  # noqa: E402

from grading import feedback as _feedback, late as _late  # noqa: E402

COURSE_ID = "dl-course"
LISTING = "import os\nprint('KERNEL FILES:', sorted(os.path.join(d, f) for d, _, fs in os.walk('.') for f in fs))"


def _submit(exchange, work, student, nb):
    """`nbgrader submit` as `student`: nbgrader's own ExchangeSubmit, from their work folder."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default.submit import ExchangeSubmit
    from traitlets.config import Config
    folder = work / student / COURSE_ID / NAME
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / FILE)
    config = Config()
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.assignment_id = NAME
    config.CourseDirectory.student_id = student
    config.Exchange.root = str(exchange)
    config.Exchange.cache = str(work / student / "cache")
    config.Exchange.assignment_dir = str(work / student)
    config.Exchange.path_includes_course = True
    ExchangeSubmit(coursedir=CourseDirectory(config=config), authenticator=Authenticator(config=config),
                   config=config).start()
    inbound, = (exchange / COURSE_ID / "inbound").glob(f"{student}+{NAME}+*")
    return inbound


def _with_placeholder(nb, value):
    """The JSON text of `nb` with `value` (raw JSON text) as the metadata of its first cell."""
    data = _json.loads(nbformat.writes(nb))
    data["cells"][0]["metadata"]["payload"] = "@@PAYLOAD@@"
    return _json.dumps(data).replace('"@@PAYLOAD@@"', value)


def _files_under(*folders):
    return [p for folder in folders if folder.exists() for p in folder.rglob("*")]


@pytest.fixture(scope="module")
def data_class(tmp_path_factory, gradebook):
    base = tmp_path_factory.mktemp("data")
    root = demo.make_course(base / "course", [NAME], gradebook)
    release, full, wrong = _nbs()
    exchange, work = base / "exchange", base / "work"
    (exchange / COURSE_ID / "inbound").mkdir(parents=True)
    os.chmod(exchange / COURSE_ID / "inbound", 0o2733)
    shutil.copytree(root / "release" / NAME, exchange / COURSE_ID / "outbound" / NAME)
    secret = base / "root-only.txt"   # a file only root can read, with a token nobody else knows
    token = os.urandom(16).hex()
    secret.write_text(f"TOKEN {token}\n")
    os.chmod(secret, 0o600)
    due = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=2, hours=12)   # everyone is 3 started days late
    _late.set_due_date(root, NAME, due.strftime("%Y-%m-%d %H:%M:%S UTC"))

    # Through the exchange.
    alice_inbound = _submit(exchange, work, "alice_exchange", demo.fill(release, full))
    linker = _submit(exchange, work, "linker", demo.fill(release, prefixed(full, "subtract_three_ways", LISTING)))
    os.symlink(secret, linker / "notes.txt")
    os.symlink("/etc/shadow", linker / "shadow")
    (linker / "deep" / "er").mkdir(parents=True)
    os.symlink(alice_inbound / FILE, linker / "deep" / "er" / "peer.ipynb")
    os.symlink("/etc", linker / "deep" / "etc")
    swapper = _submit(exchange, work, "swapper", demo.fill(release, full))
    os.remove(swapper / FILE)
    os.symlink(alice_inbound / FILE, swapper / FILE)          # another student's notebook as its own
    devices = _submit(exchange, work, "devices", demo.fill(release, full))
    os.mkfifo(devices / "pipe")
    (devices / "my_notes.txt").write_text("a file the assignment does not declare")
    os.mknod(devices / "zero", 0o644 | _stat.S_IFCHR, os.makedev(1, 5))   # /dev/zero
    (devices / "sub").mkdir()
    os.mkfifo(devices / "sub" / "pipe2")
    backdated = _submit(exchange, work, "backdated", demo.fill(release, full))
    claim = (due - _dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (backdated / "timestamp.txt").write_text(claim)
    past = (due - _dt.timedelta(days=1)).timestamp()
    for path in [backdated, *backdated.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)
    env = dict(os.environ, COURSE_EXCHANGE=str(exchange), COURSE_ID=COURSE_ID, PYTHONPATH=str(REPO))
    env.pop("COURSE_DB_URL", None)
    collected = _subprocess.run([os.path.join(os.path.dirname(_sys.executable), "nbgrader"), "collect", NAME],
                                cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stderr[-3000:]

    # Straight into submitted/ (a hand-made or LMS copy), and malformed submissions.
    def write(student, files):
        folder = root / "submitted" / student / NAME
        folder.mkdir(parents=True)
        for filename, content in files.items():
            (folder / filename).write_bytes(content if isinstance(content, bytes) else content.encode())
        return folder
    honest = nbformat.writes(demo.fill(release, full))
    write("bob_honest", {FILE: nbformat.writes(demo.fill(release, wrong))})
    os.symlink(secret, write("planted_link", {FILE: honest}) / "data.csv")
    os.mkfifo(write("planted_fifo", {FILE: honest}) / "pipe")
    nested = write("planted_nested_link", {FILE: honest}) / "a" / "b"
    nested.mkdir(parents=True)
    os.symlink(root / "submitted" / "bob_honest" / NAME / FILE, nested / "peer.ipynb")
    os.symlink(root / "submitted" / "bob_honest" / NAME / FILE, write("linked_notebook", {}) / FILE)
    big = demo.fill(release, full)
    big.cells += [nbformat.v4.new_markdown_cell("x" * 60) for _ in range(200_000)]
    malformed = {
        "deep_nesting": {FILE: _with_placeholder(demo.fill(release, full), "[" * 5000 + "]" * 5000)},
        "huge_integer": {FILE: _with_placeholder(demo.fill(release, full), "9" * 5000)},
        "bad_timestamp": {FILE: honest, "timestamp.txt": "2026-13-45 99:99 not a time"},
        "binary_timestamp": {FILE: honest, "timestamp.txt": b"\xff\xfe\x00"},
        "cells_200k": {FILE: _json.dumps(big)},
        "not_utf8": {FILE: b"\xff\xfe{\x00"},
        "empty_file": {FILE: b""},
        "empty_object": {FILE: "{}"},
    }
    for student, files in malformed.items():
        write(student, files)

    from grading import restore
    run = Course(root)
    snapshot = restore.Snapshot.of(run, NAME)
    # Measured by what ran, not by the clock: nbgrader's preprocessors never see it.
    preprocessed = []
    real_preprocess = restore.RestoreCells.preprocess
    restore.RestoreCells.preprocess = lambda self, nb, resources: preprocessed.append(len(nb.cells)) or \
        real_preprocess(self, nb, resources)
    try:
        prepared_200k = grader.prepare(run, NAME, "cells_200k", snapshot)
    finally:
        restore.RestoreCells.preprocess = real_preprocess
        run.close()
    prepare_seconds = preprocessed

    scratch = Path(tempfile.mkdtemp(prefix="rd-", dir="/tmp"))
    messages = []
    try:
        status = grader.grade(root, NAME, dataclasses.replace(SETTINGS, scratch=str(scratch)),
                              out=messages.append, progress=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _feedback.generate(root, NAME)
    yield dict(root=root, status=status, scores=grades.scores(root, NAME), token=token, secret=secret,
               collect_log=collected.stderr, claim=claim, messages=messages,
               prepare=(prepared_200k, prepare_seconds), malformed=set(malformed))


def test_links_in_the_exchange_expose_nothing(data_class):
    """Links to a root-only file, /etc/shadow, /etc and another student's notebook, planted at any
    depth of an inbound folder: collection leaves them behind, grading sees only the declared
    notebook, and no file of submitted/, autograded/ or feedback/ (nor the kernel's folder, as the
    kernel lists it) holds what they point to."""
    root, status, scores = data_class["root"], data_class["status"], data_class["scores"]
    full = demo.expected_scores(NAME)["alice"]
    assert status["linker"] == "graded" and scores["linker"][0] == full
    assert "KERNEL FILES: []" in _outputs(root, "linker")   # source/ declares no data file for lesson 1
    planted = ("planted_link", "planted_fifo", "planted_nested_link", "linked_notebook")   # by the test
    folders = [root / "autograded", root / "feedback"] + [
        p for p in (root / "submitted").iterdir() if p.name not in planted]
    entries = _files_under(*folders)
    assert [p for p in entries if p.is_symlink() or not (p.is_file() or p.is_dir())] == []
    secrets = [data_class["token"].encode(), data_class["secret"].read_bytes()]
    if os.path.exists("/etc/shadow") and os.path.getsize("/etc/shadow") > 0:
        secrets.append(open("/etc/shadow", "rb").read())
    leaked = [p for p in entries if p.is_file() and any(s in p.read_bytes() for s in secrets)]
    assert leaked == []
    linker = root / "submitted" / "linker" / NAME
    assert sorted(p.name for p in linker.rglob("*") if p.is_file()) == sorted([FILE, "timestamp.txt", "submission_secret.txt"])
    for name in ("notes.txt", "shadow", "deep/er/peer.ipynb", "deep/etc"):
        assert f"{name} (a symbolic link)" in data_class["collect_log"], name
    # The link put in place of the notebook: nothing collected in its place, the student's error.
    assert status["swapper"] == "error: missing notebook 01_tensor_basics.ipynb"
    assert scores["swapper"][0] == 0


def test_fifos_devices_and_links_are_refused(data_class):
    """A FIFO and a /dev/zero node in the inbound folder are left behind at collection (the
    student is graded on the notebook); in a submitted/ folder, a link, a nested link, a linked
    notebook and a FIFO make the submission that student's error, read without blocking."""
    status, scores, log = data_class["status"], data_class["scores"], data_class["collect_log"]
    assert status["devices"] == "graded" and scores["devices"][0] == demo.expected_scores(NAME)["alice"]
    for name, what in (("pipe", "a FIFO"), ("zero", "a character device"), ("sub/pipe2", "a FIFO")):
        assert f"{name} ({what})" in log, name
    assert status["planted_link"] == ("error: the submission holds what is not a file: data.csv (a symbolic link); "
                                      "a submission is files and folders only")
    assert status["planted_fifo"] == ("error: the submission holds what is not a file: pipe (a FIFO); "
                                      "a submission is files and folders only")
    assert status["planted_nested_link"].startswith("error: the submission holds what is not a file: a/b/peer.ipynb (a symbolic link)")
    assert status["linked_notebook"].startswith(f"error: the submission holds what is not a file: {FILE} (a symbolic link)")
    for student in ("planted_link", "planted_fifo", "planted_nested_link", "linked_notebook"):
        assert scores[student][0] == 0


def test_a_backdated_submission_pays_its_penalty(data_class):
    """The student wrote a timestamp.txt a day before the due date and set their files' times back:
    the collector records the files' inode change time instead, and the penalty is a late one's."""
    root = data_class["root"]
    recorded = (root / "submitted" / "backdated" / NAME / "timestamp.txt").read_text().strip()
    assert recorded != data_class["claim"]
    assert f"claims {_late.parse_time(data_class['claim'])}" in data_class["collect_log"]
    rows = {r["student_id"]: r for r in grades.export(root, "grades.csv") if r["assignment"] == NAME}
    full = demo.expected_scores(NAME)["alice"]
    for student in ("backdated", "alice_exchange"):
        assert data_class["status"][student] == "graded", student
        assert float(rows[student]["raw_score"]) == full
        assert float(rows[student]["late_submission_penalty"]) == pytest.approx(0.3 * full), student
    assert float(rows["backdated"]["score"]) == pytest.approx(0.7 * full)


def test_malformed_submissions_are_their_students_errors(data_class):
    """5,000 nested brackets, a 5,000-digit integer, a malformed or binary timestamp.txt, 200,000
    cells, bytes that are not UTF-8, an empty file and `{}`: each is that student's error, and the
    honest students beside them get their usual scores."""
    status, scores = data_class["status"], data_class["scores"]
    expected = {
        "deep_nesting": f"error: {FILE} is not a valid notebook: its JSON is nested more than {course.MAX_DEPTH} deep",
        "huge_integer": f"error: {FILE} is not a valid notebook: Exceeds the limit (4300 digits) for integer string conversion",
        "bad_timestamp": "error: timestamp.txt is not a time",
        "binary_timestamp": "error: timestamp.txt is not UTF-8 text",
        "cells_200k": f"error: {FILE} is a notebook of 200027 cells: the grader takes at most {course.MAX_CELLS}",
        "not_utf8": f"error: {FILE} is not a notebook: the file is not UTF-8 text",
        "empty_file": f"error: {FILE} is not valid JSON at line 1, column 1: expecting value",
        "empty_object": f"error: {FILE} is not a valid notebook",
    }
    assert set(expected) == data_class["malformed"]
    got = {s: status.get(s, "") for s in expected}
    assert {s: got[s][:len(expected[s])] for s in expected} == expected
    assert {s: scores.get(s, (0.0,))[0] for s in expected} == dict.fromkeys(expected, 0)
    spec = demo.expected_scores(NAME)
    assert (status["alice_exchange"], scores["bob_honest"][0], status["bob_honest"]) == ("graded", spec["carol"], "graded")


def test_a_200k_cell_notebook_is_refused_before_nbgraders_preprocessors(data_class):
    """26 MB of 200,000 markdown cells took 16 s of the grading process's preparation (32 s on the
    red team's machine), nearly all in nbgrader's preprocessors; the cell cap refuses it before
    any of them runs (about 0.6 s measured, mostly json.loads: a check by what ran, not the clock)."""
    prepared, preprocessed = data_class["prepare"]
    assert prepared.notebooks == {} and "at most 1000" in str(prepared.problems[NAME])
    assert preprocessed == []


def test_extra_files_are_ignored_and_said(data_class):
    """The run names the submissions with files the assignment does not declare."""
    said = [m for m in data_class["messages"] if m.startswith("ignored the files")]
    assert said and "devices: my_notes.txt" in said[0] and "notes.txt" not in said[0].replace("my_notes", "")


def test_odd_inbound_names_never_stop_collection(tmp_path, gradebook):
    """An inbound folder with an empty student name (plain nbgrader collects it as a student named
    like the assignment), or with a time that does not parse (plain nbgrader stops the whole
    collection), is refused or collected on its own and the others are collected."""
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    release, full, _ = _nbs()
    exchange = tmp_path / "exchange"
    (exchange / COURSE_ID / "inbound").mkdir(parents=True)
    shutil.copytree(root / "release" / NAME, exchange / COURSE_ID / "outbound" / NAME)
    _submit(exchange, tmp_path / "work", "erin", demo.fill(release, full))
    for odd in (f"+{NAME}+2026-01-01 00:00:00.000000 UTC+x", f"mallory+{NAME}+not a time+y"):
        folder = exchange / COURSE_ID / "inbound" / odd
        folder.mkdir()
        nbformat.write(demo.fill(release, full), folder / FILE)
    env = dict(os.environ, COURSE_EXCHANGE=str(exchange), COURSE_ID=COURSE_ID, PYTHONPATH=str(REPO))
    env.pop("COURSE_DB_URL", None)
    done = _subprocess.run([os.path.join(os.path.dirname(_sys.executable), "nbgrader"), "collect", NAME],
                           cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(course.students(root, NAME)) == ["erin", "mallory"]
    assert not (root / "submitted" / NAME).exists() and "not a student name: ''" in done.stderr
    assert _late.submission_time(root / "submitted" / "mallory" / NAME) is not None


def test_feedback_never_copies_a_link_from_autograded(tmp_path, gradebook):
    """A graded folder written by something else (plain `nbgrader autograde`) that holds a link
    gets a refusal page, and nothing the link points to reaches feedback/."""
    root = demo.make_course(tmp_path / "course", [NAME], gradebook)
    release, full, _ = _nbs()
    secret = tmp_path / "root-only.txt"
    secret.write_text("TOKEN " + os.urandom(8).hex())
    os.chmod(secret, 0o600)
    for folder in ("submitted", "autograded"):
        (root / folder / "eve" / NAME).mkdir(parents=True)
        nbformat.write(demo.fill(release, full), root / folder / "eve" / NAME / FILE)
    os.symlink(secret, root / "autograded" / "eve" / NAME / "notes.txt")
    _feedback.generate(root, NAME)
    pages = sorted(p.relative_to(root / "feedback") for p in (root / "feedback").rglob("*") if p.is_file())
    assert pages == [Path("eve") / NAME / f"{NAME}.html"]
    page = (root / "feedback" / "eve" / NAME / f"{NAME}.html").read_text()
    assert "notes.txt (a symbolic link)" in page and secret.read_text() not in page


# Outcome tests (issue 24): predictions scored against held-out targets no kernel sees.
#
# Assignment 5's test_fit trains on hidden spirals and publishes predictions on their held-out
# points; the grading process scores them. Each attack replaces train_spiral/predict and must get 0
# of test_fit's points; an honest student beside them gets them all.

OUTCOME = "05_spiral_mlp"
OUTCOME_TEST = "test_fit"

# Trains nothing; predicts one class for every point.
CONSTANT = """def train_spiral(X, y, epochs):
    return torch.nn.Linear(2, int(y.max()) + 1), [0.0] * epochs
def predict(model, X):
    return torch.zeros(len(X), dtype=torch.long)"""
# Trains nothing; predicts classes at random.
RANDOM = CONSTANT.replace("torch.zeros(len(X), dtype=torch.long)", "torch.randint(0, 4, (len(X),))")
# Copies the labels it can see: the training classes, repeated to the held-out length.
COPIED = """def train_spiral(X, y, epochs):
    model = torch.nn.Linear(2, int(y.max()) + 1)
    model.seen_y = y
    return model, [0.0] * epochs
def predict(model, X):
    return model.seen_y.repeat(len(X) // len(model.seen_y) + 1)[:len(X)]"""
# Looks for the held-out generator, the course secret or targets anywhere it can read, and
# reads the hidden test cell's source and variables from the frames that call it.
SEARCHER = """import glob, os, sys
FOUND = []
for top, dirs, files in os.walk('/', onerror=lambda err: None):
    if top in ('/proc', '/sys', '/dev'):
        dirs[:] = []
        continue
    for name in files:
        if name in ('heldout.py', '.heldout-secret') or 'heldout-secret' in name:
            FOUND.append(os.path.join(top, name))
for path in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):
    try:
        if b'HELDOUT' in open(path, 'rb').read():
            FOUND.append(path)
    except OSError:
        pass
if 'COURSE_HELDOUT_SECRET' in os.environ:
    FOUND.append('environment')
for path in glob.glob('heldout/*'):
    data = torch.load(path, weights_only=True)
    for sets in (data if isinstance(data, list) else [data]):
        keys = sorted(sets) if isinstance(sets, dict) else [type(sets).__name__]
        if keys != ['X', 'X_test', 'y']:
            FOUND.append((path, keys))
print('OUTCOME SEARCH FOUND:', FOUND)
def train_spiral(X, y, epochs):
    return torch.nn.Linear(2, int(y.max()) + 1), [0.0] * epochs
def predict(model, X):
    frame, stolen = sys._getframe(1), None
    while frame is not None and stolen is None:   # the hidden cell's globals: y_test of the visible spiral
        candidate = frame.f_globals.get('y_test')
        if isinstance(candidate, torch.Tensor) and len(candidate) == len(X):
            stolen = candidate
        frame = frame.f_back
    return stolen if stolen is not None else torch.zeros(len(X), dtype=torch.long)"""


def outcome_cases():
    (_, source_nb, release_nb), = demo.notebooks(REPO, OUTCOME)
    full = demo.solution_cells(source_nb)
    return {"o_constant": dict(full, fit=CONSTANT), "o_random": dict(full, fit=RANDOM),
            "o_copied": dict(full, fit=COPIED), "o_searcher": dict(full, fit=SEARCHER),
            "o_honest": full}, release_nb


@pytest.fixture(scope="module")
def outcome_class(tmp_path_factory, gradebook):
    from nbgrader.api import Gradebook
    root = demo.make_course(tmp_path_factory.mktemp("redteam-outcome") / "course", [OUTCOME], gradebook)
    answers, release_nb = outcome_cases()
    for student, cells_ in answers.items():
        folder = root / "submitted" / student / OUTCOME
        folder.mkdir(parents=True)
        nbformat.write(demo.fill(release_nb, cells_), folder / f"{OUTCOME}.ipynb")
    scratch = Path(tempfile.mkdtemp(prefix="ro-", dir="/tmp"))
    status = grader.grade(root, OUTCOME, dataclasses.replace(SETTINGS, scratch=str(scratch)), out=lambda *_: None, progress=False)
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        fit = {s: gb.find_grade(OUTCOME_TEST, OUTCOME, OUTCOME, s).score for s in answers}
    yield root, status, fit
    shutil.rmtree(scratch, ignore_errors=True)


def test_predictions_without_training_score_nothing_on_the_outcome_test(outcome_class):
    """Constant, random and copied predictions, and predictions stolen from the hidden cell's own
    variables, each get 0 of test_fit's points; the honest student gets them all."""
    root, status, fit = outcome_class
    assert set(status.values()) == {"graded"}, status
    assert fit["o_honest"] > 0
    assert {s: score for s, score in fit.items() if s != "o_honest"} == \
        {"o_constant": 0, "o_random": 0, "o_copied": 0, "o_searcher": 0}


def test_a_kernel_finds_no_held_out_target_generator_or_secret(outcome_class):
    """Walking the filesystem, every /proc/*/environ and cmdline, its environment and the held-out
    files it was given, a kernel finds no heldout.py, no course secret and no targets: its
    heldout/ files hold the training points, their classes and the held-out points, nothing else."""
    root = outcome_class[0]
    nb = nbformat.read(root / "autograded" / "o_searcher" / OUTCOME / f"{OUTCOME}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "OUTCOME SEARCH FOUND: []" in printed, printed[-1500:]
