"""Submissions that attack the students graded after them, or the process their kernel came from.

Kernels are forked from one template process per run (grading/zygote.py). Graded by one worker,
in this order, so that each attack meets the same template and the next students' kernels:
a student leaves the solution behind everywhere a kernel can write (files, shared memory, the
environment, patched modules, a detached process); the next one looks for it everywhere; one
kills every process it can see; one probes its parent and the template. Each scores 0, and the
honest student graded last scores as when graded alone.
"""
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import processes_naming
from grading import demo, grader, grades, sandbox, work
from grading import kernel as kernels
from test_redteam import ANSWERS, FILE, NAME, SETTINGS, _nbs, write_class

pytestmark = [pytest.mark.skipif(not sandbox.bwrap_available() and not os.environ.get("CI"),
                                 reason="bubblewrap (bwrap) is not installed"),
              pytest.mark.skipif(not sandbox.preimport_available(), reason="kernels are forked only as root")]

LEAVE = '''import builtins, json, os, subprocess, sys, torch, helpers, helpers.checks
ANSWERS = {answers!r}
text = json.dumps(ANSWERS)
for path in ("/tmp/answers.json", "/dev/shm/answers.json", "answers.json", "/tmp/home/answers.json"):
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        open(path, "w").write(text)
    except OSError:
        pass
os.environ["ANSWERS"] = text
helpers.ANSWERS = builtins.ANSWERS = torch.ANSWERS = ANSWERS
sys.modules["answers"] = type(sys)("answers"); sys.modules["answers"].ANSWERS = ANSWERS
helpers.checks.assert_close = helpers.checks.check = lambda *a, **k: None   # for the next student
torch.Tensor.sum = lambda self, *a, **k: torch.tensor(42.0)
# the kernel keyring, which Linux does not namespace: the user, session and process keyrings
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
refused = 0
for keyring in (-4, -3, -2, -5):   # KEY_SPEC_USER_KEYRING, SESSION, PROCESS, USER_SESSION
    data = text.encode()
    if libc.syscall(248, b"user", b"answers", data, len(data), keyring) < 0:   # add_key
        refused += 1
print("KEYRING REFUSED:", refused, "of 4")
# a detached process that keeps the answers in /tmp for ten minutes
subprocess.Popen([sys.executable, "-c", "import os, sys, time\\n"
                  "for _ in range(6000):\\n"
                  "    open('/tmp/answers.json', 'w').write(os.environ['ANSWERS']); time.sleep(0.1)"],
                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

FIND = '''import builtins, glob, json, os, sys
found = None
def answers(value):   # the leaver's answers, or None
    return value if isinstance(value, dict) and "{cell}" in value else None
for path in ("/tmp/answers.json", "/dev/shm/answers.json", "answers.json", "/tmp/home/answers.json",
             *glob.glob("/tmp/**/*.json", recursive=True), *glob.glob("/dev/shm/*")):
    try:
        found = found or answers(json.load(open(path)))
    except (OSError, ValueError):
        pass
import helpers, torch
for holder in (helpers, builtins, torch, sys.modules.get("answers")):
    found = found or answers(getattr(holder, "ANSWERS", None))
found = found or (answers(json.loads(os.environ["ANSWERS"])) if "ANSWERS" in os.environ else None)
for pid in filter(str.isdigit, os.listdir("/proc")):   # another process's environment
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\\0")
        found = found or next(answers(json.loads(e[8:])) for e in env if e.startswith(b"ANSWERS="))
    except (OSError, StopIteration, ValueError):
        pass
import ctypes   # the kernel keyring: search the user and session keyrings, and /proc/keys
libc = ctypes.CDLL(None, use_errno=True)
for keyring in (-4, -3, -5):
    key = libc.syscall(250, 10, keyring, b"user", b"answers", 0)   # KEYCTL_SEARCH
    if key > 0:
        buffer = ctypes.create_string_buffer(65536)
        size = libc.syscall(250, 11, key, buffer, 65536)   # KEYCTL_READ
        try:
            found = found or answers(json.loads(buffer.raw[:size]))
        except ValueError:
            pass
try:
    found = found or ("answers" in open("/proc/keys").read() and None)
except OSError:
    pass
print("FOUND" if found else "NOTHING FOUND")
if found:
    exec(found["{cell}"])
'''

KILL_ALL = '''import os, signal
for pid in sorted(filter(str.isdigit, os.listdir("/proc")), key=int):
    if int(pid) != os.getpid():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
os.kill(-1, signal.SIGKILL)
'''

PROBE_PARENT = '''import ctypes, os, sys
escapes = []
visible = [int(p) for p in os.listdir("/proc") if p.isdigit()]
# pid 1 is bubblewrap's init (root, no capabilities); the rest must be the kernel's own uid
others = [p for p in visible if p != 1 and os.path.exists(f"/proc/{p}") and os.stat(f"/proc/{p}").st_uid != os.getuid()]
if others:
    escapes.append(f"sees processes of another user: {others}")
if os.getppid() != 0:
    escapes.append(f"sees its parent ({os.getppid()})")
for pid in [1] + others:
    try:
        open(f"/proc/{pid}/mem", "rb").read(1)
        escapes.append(f"reads the memory of {pid}")
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
for pid in [1] + others:
    if libc.ptrace(16, pid, 0, 0) == 0:   # PTRACE_ATTACH
        escapes.append(f"traces {pid}")
for sig in (9, 19):
    try:
        os.kill(1, sig)   # refused: another uid
        escapes.append(f"signals pid 1 with {sig}")
    except OSError:
        pass
if [m for m in sys.modules if m == "grading" or m.startswith("grading.")]:
    escapes.append("holds the grader's modules")
if os.geteuid() == 0 or open("/proc/self/status").read().split("CapEff:")[1].split()[0].strip("0"):
    escapes.append("runs with privileges")
print("ESCAPES:", len(escapes), escapes)
'''


def class_cases():
    release, full, _ = _nbs()
    only = lambda code: demo.fill(release, {cell: code for cell in ANSWERS})  # noqa: E731
    return {
        "a_leaves_answers": (only(LEAVE.format(answers=full)), 0, "graded"),
        "b_uses_leftovers": (demo.fill(release, {c: FIND.replace("{cell}", c) for c in ANSWERS}), 0, "graded"),
        "c_kills_everything": (only(KILL_ALL), 0, "error: the kernel died"),
        "d_probes_parent": (only(PROBE_PARENT), 0, "graded"),
        "e_alice_honest": (demo.fill(release, full), 11, "graded"),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, gradebook):
    root = demo.make_course(tmp_path_factory.mktemp("zygote") / "course", [NAME], gradebook)
    cases = class_cases()
    write_class(root, {s: ({FILE: nb}, score, why) for s, (nb, score, why) in cases.items()})
    scratch = Path(tempfile.mkdtemp(prefix="rz-", dir="/tmp"))
    settings = dataclasses.replace(SETTINGS, workers=1, scratch=str(scratch))   # one worker: one template
    status = grader.grade(root, NAME, settings, out=lambda *_: None, progress=False)
    yield root, cases, status, grades.scores(root, NAME), scratch
    shutil.rmtree(scratch, ignore_errors=True)


def outputs(root, student):
    nb = nbformat.read(root / "autograded" / student / NAME / FILE, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_each_attack_scores_zero_and_the_next_honest_student_full_marks(graded):
    root, cases, status, scores, _ = graded
    got = {s: (scores[s][0], status[s]) for s in cases}
    assert {s: (g[0], g[1].split(" (")[0]) for s, g in got.items()} == \
        {s: (float(score), why) for s, (_, score, why) in cases.items()}, got


def test_nothing_a_student_left_reaches_the_next(graded):
    """Files, shared memory, the environment, patched modules, a detached process and the kernel
    keyring: the finder, graded next on the same worker, finds nothing (and scores 0, above)."""
    root = graded[0]
    assert outputs(root, "b_uses_leftovers").splitlines() == ["NOTHING FOUND"] * len(ANSWERS)


def test_the_kernel_keyring_is_refused(graded):
    """add_key fails on every keyring (the seccomp filter): nothing was stored for a finder."""
    assert outputs(graded[0], "a_leaves_answers").count("KEYRING REFUSED: 4 of 4") == len(ANSWERS)


def test_a_kernel_cannot_reach_its_parent_or_the_template(graded):
    assert "ESCAPES: 0 []" in outputs(graded[0], "d_probes_parent"), outputs(graded[0], "d_probes_parent")


def test_nothing_is_left_behind(graded):
    scratch = graded[-1]
    assert list(scratch.iterdir()) == []
    assert processes_naming(scratch) == []
    leftovers = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid >= 200_000:
                leftovers.append(Path(f"/proc/{entry.name}/cmdline").read_bytes())
        except OSError:
            pass
    assert not any(b"answers.json" in cmd for cmd in leftovers), "the detached process survived"


def test_a_forked_kernel_holds_no_descriptor_of_the_template(tmp_path):
    """Seen from outside, while a kernel runs: none of its open files or sockets is one of the
    template's (the channel to its worker above all), and it runs as the sandbox's uid."""
    import threading
    import time
    run_dir = Path(tempfile.mkdtemp(prefix="rf-", dir="/tmp"))
    os.chmod(run_dir, 0o711)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(6)")])
    runner = threading.Thread(target=work.run_sandboxed, args=(nb, tmp_path, SETTINGS, run_dir))
    runner.start()
    try:
        kernel, deadline = None, time.monotonic() + 120
        while kernel is None and time.monotonic() < deadline:
            for entry in os.scandir("/proc"):
                try:
                    if entry.name.isdigit() and entry.stat().st_uid >= 200_000 and \
                            b"grading.zygote" in Path(f"/proc/{entry.name}/cmdline").read_bytes() and \
                            os.readlink(f"/proc/{entry.name}/cwd").startswith(str(run_dir)):   # ours
                        kernel = int(entry.name)
                except OSError:
                    pass
            time.sleep(0.05)
        assert kernel is not None, "no forked kernel appeared"
        template = kernels._zygote.process.pid

        def open_files(pid):
            out = set()
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    out.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    pass
            return out
        theirs = {f for f in open_files(template) if f.startswith("socket:") or (f.startswith("/") and f != "/dev/null")}
        assert theirs, "the template holds its channel"
        assert open_files(kernel) & theirs == set()
        assert sandbox.is_kernel_uid(os.stat(f"/proc/{kernel}").st_uid)
    finally:
        runner.join(60)
        shutil.rmtree(run_dir, ignore_errors=True)


def test_a_kernel_the_grader_cannot_set_up_is_the_graders_failure(tmp_path):
    """A forked kernel that fails before its notebook runs (here: an impossible process cap) raises
    for the grader (the student is retried on the next run), instead of reading as a dead kernel."""
    run_dir = Path(tempfile.mkdtemp(prefix="rs-", dir="/tmp"))
    os.chmod(run_dir, 0o711)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    broken = dataclasses.replace(SETTINGS, limits=dataclasses.replace(SETTINGS.limits, max_tasks=-5))
    try:
        with pytest.raises(sandbox.KernelSetupError):
            work.run_sandboxed(nb, tmp_path, broken, run_dir)
        assert work.run_sandboxed(nb, tmp_path, SETTINGS, run_dir) is None   # the template still works
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
