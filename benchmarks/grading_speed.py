"""Benchmark: grading a class of 40 submissions, serial `nbgrader autograde` vs `make grade`.

    .venv/bin/python benchmarks/grading_speed.py [--students 40] [--workers N]

Both graders run in this one process's run, on copies of the same class (assignment 1: full
solutions, untouched copies and one wrong answer, in rotation), one torch thread per kernel.
Prints both wall times, their ratio, whether every score agrees, and the grading overhead per
notebook beyond the notebook's own compute (measured by running the solution in-process).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

from grading import course, demo, grader  # noqa: E402
from grading.inprocess import run_cells  # noqa: E402

NAME = "01_tensor_basics"


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
    course.ensure_in_gradebook(root, NAME)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    serial_root = demo.make_course(scratch / "serial", [NAME])
    parallel_root = demo.make_course(scratch / "parallel", [NAME])
    build(serial_root, args.students)
    build(parallel_root, args.students)

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", NAME, "--force"], cwd=serial_root, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    serial = time.perf_counter() - start

    start = time.perf_counter()
    grader.grade(parallel_root, NAME, grader.Settings(workers=args.workers), out=lambda *_: None, progress=False)
    parallel = time.perf_counter() - start

    a, b = course.scores(serial_root, NAME), course.scores(parallel_root, NAME)
    same = a == b and len(a) == args.students

    (_, source_nb, _), = demo.notebooks(REPO, NAME)
    run_cells(source_nb, cwd=REPO / "source" / NAME)   # warm-up: imports torch and helpers once
    start = time.perf_counter()
    run_cells(source_nb, cwd=REPO / "source" / NAME)
    compute = time.perf_counter() - start

    per_serial, per_parallel = serial / args.students, parallel * args.workers / args.students
    print(f"class of {args.students} submissions of {NAME}, {os.cpu_count()} cores, 1 torch thread per kernel")
    print(f"serial nbgrader autograde : {serial:7.1f} s  ({per_serial:.2f} s per notebook)")
    print(f"make grade ({args.workers} workers)     : {parallel:7.1f} s  ({per_parallel:.2f} worker-s per notebook, sandboxed)")
    print(f"speed-up                  : {serial / parallel:7.2f}x")
    print(f"identical scores          : {same}")
    print(f"notebook's own compute    : {compute:7.2f} s (in-process, torch already imported)")
    print(f"overhead per notebook     : {per_serial - compute:7.2f} s serial nbgrader, "
          f"{per_parallel - compute:.2f} worker-s make grade (kernel start, imports, sandbox)")
    subprocess.run(["rm", "-rf", str(scratch)])
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
