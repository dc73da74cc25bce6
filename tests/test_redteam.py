"""Hostile and broken submissions, graded in one class by `make grade`'s grader.

Each case is built from assignment 1's student copy and asserts its exact score and status. In
the same run two honest students must get exactly what they get when graded alone, and the
course's files, helpers/ and the gradebook must come through untouched.
"""
import dataclasses
import hashlib
import html
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, processes_naming
from grading import course, demo, grader, grades, sandbox

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
    spec = demo.load_spec(NAME)
    full = demo.solution_cells(source_nb)
    wrong = dict(full, **demo.mistake_answers(spec, spec["DEMO"]["wrong"]))
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
    return resources | {
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
# even when it gets only half a core (2 cores shared by the suite's two workers and their kernels),
# and well above what the fork bomb spends reaching the process cap: 250 forks of a kernel with
# torch loaded cost 3.4 s of CPU on a quiet machine, and went past a 6 s cap on a busy one.
SETTINGS = grader.Settings(workers=2, cell_timeout=30, notebook_timeout=120, memory_mb=3072,
                           limits=sandbox.Limits(cpu_seconds=12))


def tmpfs_memory():
    """Bytes of memory held by in-memory file systems (Shmem), where a leaked sandbox tmpfs shows."""
    return int(next(line for line in open("/proc/meminfo") if line.startswith("Shmem:")).split()[1]) * 1024


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, gradebook):
    root = demo.make_course(tmp_path_factory.mktemp("redteam") / "course", [NAME], gradebook)
    class_cases = cases(root)
    write_class(root, class_cases)
    before = tree_hash(root / "source", root / "release", REPO / "helpers")
    scratch = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))   # short: the kernels' sockets live below it
    free = (shutil.disk_usage(scratch).free, tmpfs_memory())
    status = grader.grade(root, NAME, dataclasses.replace(SETTINGS, scratch=str(scratch)), out=lambda *_: None, progress=False)
    after = (shutil.disk_usage(scratch).free, tmpfs_memory())
    yield root, class_cases, status, grades.scores(root, NAME), before, (scratch, free, after)
    shutil.rmtree(scratch, ignore_errors=True)


def test_every_case_gets_its_exact_score_and_status(graded_class):
    root, class_cases, status, scores, _, _ = graded_class
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
    _, class_cases, status, scores, _, _ = graded_class
    forged = {s: scores.get(s, (0.0, None))[0] for s in class_cases if s.startswith("forge_")}
    assert len(forged) >= 8
    assert forged == dict.fromkeys(forged, 0)


def test_resource_hogs_leave_nothing_behind(graded_class):
    """3 GB into /tmp, into the working folder and into the IPC folder, fork and thread bombs and
    a CPU burner were each stopped at their cap (their statuses are checked above); afterwards no
    process of the run remains, its scratch folder is empty, and free disk and memory are back."""
    scratch, (disk_before, memory_before), (disk_after, memory_after) = graded_class[-1]
    assert list(scratch.iterdir()) == []
    assert processes_naming(scratch) == []
    assert disk_after > disk_before - 100 * 2**20, "the sandboxes left files on disk"
    # The hogs filled 768 MB of tmpfs; other tests beside this one use a few MB of it at most.
    assert memory_after < memory_before + 150 * 2**20, "the sandboxes' in-memory file systems were not freed"


def test_course_files_helpers_and_gradebook_are_untouched(graded_class):
    root, class_cases, _, _, before, _ = graded_class
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
    assert "output truncated by the grader" in _outputs(root, "huge_output")


def test_feedback_never_shows_hidden_tests(graded_class):
    root, class_cases, _, _, _, _ = graded_class
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
    root, class_cases, _, scores, _, _ = graded_class
    alone = demo.make_course(tmp_path / "alone", [NAME], gradebook)
    write_class(alone, {k: class_cases[k] for k in ("alice_honest", "carol_honest")})
    grader.grade(alone, NAME, SETTINGS, out=lambda *_: None, progress=False)
    solo = grades.scores(alone, NAME)
    for student in ("alice_honest", "carol_honest"):
        assert scores[student] == solo[student]
