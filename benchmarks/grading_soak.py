"""Soak: a class of 200 submissions of one assignment, graded in one run by `make grade`'s command.

    .venv/bin/python benchmarks/grading_soak.py [N]

The class is the demo class of assignment 1 copied N/4 times (full solution, untouched copy, one
wrong answer, a notebook that is not JSON). The first run grades it straight through; the second
grades a fresh copy, is stopped with SIGINT half-way and resumed. Printed: wall time, peak live
kernels, peak memory of the run (resident memory of the grader, its workers and every sandboxed
process, summed) and of the machine (total minus available), the seconds SIGINT took to stop the
run, and whether both runs end with identical scores. Exits 1 if more kernels than workers were
ever alive at once, anything of a run survived it, or the scores differ.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading import demo, grades  # noqa: E402

NAME, WORKERS = "01_tensor_basics", 2


def make_class(root, n):
    demo.write_class(root, NAME)
    for student in demo.STUDENTS:
        for i in range(n // len(demo.STUDENTS)):
            shutil.copytree(root / "submitted" / student, root / "submitted" / f"{student}_{i:03d}")
        shutil.rmtree(root / "submitted" / student)


def machine_used():
    info = dict(line.split(":", 1) for line in open("/proc/meminfo"))
    return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) * 1024


def run_processes(session, tmpdir):
    """[(pid, argv, rss bytes)] of the run: its process session, and whatever names its TMPDIR."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = open(f"/proc/{entry.name}/cmdline", "rb").read().decode(errors="replace").split("\0")
            stat = open(f"/proc/{entry.name}/stat").read().rsplit(")", 1)[1].split()
            rss = int(open(f"/proc/{entry.name}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
        if int(stat[3]) == session or any(str(tmpdir) in a for a in argv):
            out.append((int(entry.name), argv, rss))
    return out


def grade(root, tmpdir, stop_after=None):
    """Run the grading command; sample it; optionally SIGINT it after `stop_after` records."""
    env = dict(os.environ, TMPDIR=str(tmpdir), OMP_NUM_THREADS="1")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "grading", "grade", "--course", str(root), NAME,
                             "--workers", str(WORKERS)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_kernels = peak_rss = peak_machine = 0
    stop_seconds = None
    while proc.poll() is None:
        found = run_processes(proc.pid, tmpdir)
        # one per connection file: a kernel that forks shows its command line in the child until it execs
        kernels = {argv[argv.index("-f") + 1] for _, argv, _ in found if "ipykernel_launcher" in argv
                   and "-f" in argv and os.path.basename(argv[0]).startswith("python")}
        peak_kernels = max(peak_kernels, len(kernels))
        peak_rss = max(peak_rss, sum(rss for _, _, rss in found))
        peak_machine = max(peak_machine, machine_used())
        if stop_after and stop_seconds is None and len(recorded(root)) >= stop_after:
            sent = time.perf_counter()
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait()
            stop_seconds = time.perf_counter() - sent
        time.sleep(0.2)
    # multiprocessing's fork server notices its grader's exit within a moment, then exits too.
    deadline = time.monotonic() + 5
    while run_processes(proc.pid, tmpdir) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = run_processes(proc.pid, tmpdir) + [(0, [str(p)], 0) for p in Path(tmpdir).iterdir()]
    return dict(wall=time.perf_counter() - started, code=proc.returncode, kernels=peak_kernels,
                rss=peak_rss, machine=peak_machine, stop=stop_seconds, left=left)


def recorded(root):
    import sqlite3
    try:
        with sqlite3.connect(f"file:{root / 'gradebook.db'}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT student FROM course_grading WHERE assignment = ? AND due = 0", (NAME,)).fetchall()
    except sqlite3.OperationalError:
        return []


def main(n=200):
    base = Path(tempfile.mkdtemp(prefix="soak-", dir="/tmp"))
    try:
        first, second = base / "first", base / "second"
        demo.make_course(first, [NAME])
        print(f"preparing a class of {n} submissions of {NAME}")
        make_class(first, n)
        shutil.copytree(first, second)
        rows, failures = [], []
        for label, root, stop_after in (("straight through", first, None), ("stopped half-way", second, n // 2)):
            tmpdir = base / f"tmp-{label[:4]}"
            tmpdir.mkdir()
            result = grade(root, tmpdir, stop_after)
            rows.append((label, result))
            if stop_after:
                resumed = grade(root, tmpdir)
                rows.append(("resumed", resumed))
                result = resumed
            if result["left"]:
                failures.append(f"{label}: left behind {result['left'][:3]}")
        print(f"\n{'run':18} {'exit':>4} {'wall s':>8} {'peak kernels':>13} {'peak run MB':>12} {'peak machine MB':>16} {'stop s':>7}")
        for label, r in rows:
            stop = f"{r['stop']:.1f}" if r["stop"] is not None else "-"
            print(f"{label:18} {r['code']:>4} {r['wall']:8.1f} {r['kernels']:>13} {r['rss'] / 2**20:12.0f} "
                  f"{r['machine'] / 2**20:16.0f} {stop:>7}")
            if r["kernels"] > WORKERS:
                failures.append(f"{label}: {r['kernels']} kernels alive at once with {WORKERS} workers")
        a, b = grades.scores(first, NAME), grades.scores(second, NAME)
        print(f"\nscores identical after stop and resume: {a == b} ({len(a)} students)")
        if a != b:
            failures.append("scores differ")
        for failure in failures:
            print("FAIL:", failure)
        return 1 if failures else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*map(int, sys.argv[1:])))
