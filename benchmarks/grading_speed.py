"""Benchmark: grading a class of 40 submissions: serial `nbgrader autograde`, `make grade` as it
was before verdicts moved out of the kernel (a git revision, `--baseline`), and `make grade` now.

    .venv/bin/python benchmarks/grading_speed.py [--students 40] [--workers N] [--baseline REV]

All three run in this one run, on copies of the same class (assignment 1: full solutions,
untouched copies and one wrong answer, in rotation), one torch thread per kernel; the baseline
runs from a git worktree of REV with its own grader and tests. Prints the wall times, the ratios,
whether every score agrees, and the grading overhead per notebook beyond the notebook's own
compute (measured by running the solution in-process). Exits 1 if the scores differ or if
`make grade` now takes more than 1.3 times the baseline.
"""
import argparse
import inspect
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

from grading import demo, grader, grades, release  # noqa: E402
sys.path.insert(0, str(REPO / "tests"))
from inprocess import run_cells  # noqa: E402

NAME = "01_tensor_basics"
BASELINE = "529d477"   # the last commit that judged inside the kernel (restore and nonce)
MAX_RATIO = 1.3

BASELINE_RUN = """
import subprocess, sys, time
from pathlib import Path
from grading import course, demo, grader
NAME = sys.argv[2]
{build}
root = demo.make_course(Path(sys.argv[1]), [sys.argv[2]])
build(root, int(sys.argv[3]))
start = time.perf_counter()
grader.grade(root, sys.argv[2], grader.Settings(workers=int(sys.argv[4])), out=lambda *_: None, progress=False)
print(time.perf_counter() - start)
"""


def baseline(revision, scratch, students, workers):
    """Grade the class with the grader of `revision` (a worktree); return (seconds, scores)."""
    tree = scratch / "baseline-tree"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision],
                   check=True, capture_output=True)
    try:
        env = dict(os.environ, PYTHONPATH=str(tree))
        code = BASELINE_RUN.format(build=inspect.getsource(build))
        out = subprocess.run([sys.executable, "-c", code, str(scratch / "baseline"), NAME, str(students),
                              str(workers)], cwd=tree, env=env, check=True, capture_output=True, text=True)
        return float(out.stdout.split()[-1]), grades.scores(scratch / "baseline", NAME)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)


def build(root, students):
    demo.write_class(root, NAME)
    kinds = ["alice", "bob", "carol"]
    for i in range(students):
        src = root / "submitted" / kinds[i % 3] / NAME
        dst = root / "submitted" / f"s{i:03d}" / NAME
        dst.mkdir(parents=True)
        for f in src.iterdir():
            dst.joinpath(f.name).write_bytes(f.read_bytes())
    for kind in demo.STUDENTS:
        subprocess.run(["rm", "-rf", str(root / "submitted" / kind)], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the grader to compare with")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    serial_root = demo.make_course(scratch / "serial", [NAME])
    parallel_root = demo.make_course(scratch / "parallel", [NAME])
    build(serial_root, args.students)
    release.ensure_in_gradebook(serial_root, NAME)   # nbgrader autograde needs it; make grade does it itself
    build(parallel_root, args.students)

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", NAME, "--force"], cwd=serial_root, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    serial = time.perf_counter() - start

    start = time.perf_counter()
    grader.grade(parallel_root, NAME, grader.Settings(workers=args.workers), out=lambda *_: None, progress=False)
    parallel = time.perf_counter() - start

    before, c = baseline(args.baseline, scratch, args.students, args.workers)
    a, b = grades.scores(serial_root, NAME), grades.scores(parallel_root, NAME)
    same = a == b == c and len(a) == args.students

    (_, source_nb, _), = demo.notebooks(REPO, NAME)
    run_cells(source_nb, cwd=REPO / "source" / NAME)   # warm-up: imports torch and helpers once
    start = time.perf_counter()
    run_cells(source_nb, cwd=REPO / "source" / NAME)
    compute = time.perf_counter() - start

    per_serial, per_parallel = serial / args.students, parallel * args.workers / args.students
    print(f"class of {args.students} submissions of {NAME}, {os.cpu_count()} cores, 1 torch thread per kernel")
    print(f"serial nbgrader autograde : {serial:7.1f} s  ({per_serial:.2f} s per notebook)")
    print(f"make grade at {args.baseline:<11} : {before:7.1f} s  (verdicts inside the kernel)")
    print(f"make grade ({args.workers} workers)     : {parallel:7.1f} s  ({per_parallel:.2f} worker-s per notebook, sandboxed,"
          f" reference run included)")
    print(f"speed-up over nbgrader    : {serial / parallel:7.2f}x")
    print(f"now / {args.baseline:<19} : {parallel / before:7.2f}x  (at most {MAX_RATIO}x)")
    print(f"identical scores          : {same}")
    for student in sorted(set(a) | set(b) | set(c)):
        if not a.get(student) == b.get(student) == c.get(student):
            print(f"  {student}: nbgrader {a.get(student)}, baseline {c.get(student)}, now {b.get(student)}")
    print(f"notebook's own compute    : {compute:7.2f} s (in-process, torch already imported)")
    print(f"overhead per notebook     : {per_serial - compute:7.2f} s serial nbgrader, "
          f"{per_parallel - compute:.2f} worker-s make grade (kernel start, imports, sandbox)")
    subprocess.run(["rm", "-rf", str(scratch)])
    return 0 if same and parallel <= MAX_RATIO * before else 1


if __name__ == "__main__":
    sys.exit(main())
