"""Benchmark: `make grade`'s speed at two revisions of grading/, side by side in one run.

    .venv/bin/python benchmarks/compare_revisions.py BASE [--students 20] [--pairs 3]

Checks BASE out in a temporary worktree, then grades the same class (assignment 1, as in
benchmarks/grading_speed.py) with BASE's grading/ and with this checkout's, alternately (A B A B
...), each in a fresh process with the course environment, pre-imported kernels and the default
sandbox. Prints each pair's wall times and their ratio (this checkout / BASE), and the median
ratio: a machine whose load drifts slows both sides of a pair alike. Used for issue 23's
acceptance (the allow-listed sandbox, cgroups and seccomp cost at most 10 %). Exits 1 if the
median ratio exceeds --max-ratio (default 1.10) or the scores differ.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Run in each checkout (its own grading/ first on sys.path): build the class, grade it, print JSON.
TIMING = r"""
import json, os, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, os.getcwd())
from grading import demo, grader, grades
NAME, students = "01_tensor_basics", int(sys.argv[1])
scratch = Path(tempfile.mkdtemp(prefix="cr-", dir="/tmp"))
root = demo.make_course(scratch / "course", [NAME])
demo.write_class(root, NAME)
kinds = sorted(p.name for p in (root / "submitted").iterdir())
for i in range(students):
    src, dst = root / "submitted" / kinds[i % len(kinds)] / NAME, root / "submitted" / f"s{i:03d}" / NAME
    dst.mkdir(parents=True)
    for f in src.iterdir():
        dst.joinpath(f.name).write_bytes(f.read_bytes())
for kind in kinds:
    import shutil; shutil.rmtree(root / "submitted" / kind)
start = time.perf_counter()
grader.grade(root, NAME, grader.Settings(workers=2, scratch="/tmp"), out=lambda *_: None, progress=False)
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "scores": {k: v[0] for k, v in grades.scores(root, NAME).items()}}))
import shutil; shutil.rmtree(scratch, ignore_errors=True)
"""


def run(checkout, students):
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=str(checkout))
    out = subprocess.run([sys.executable, "-c", TIMING, str(students)], cwd=checkout, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--max-ratio", type=float, default=1.10)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="cr-base-", dir="/tmp")) / "checkout"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(base), args.base], check=True)
    try:
        run(REPO, 2)   # warm-up: the page cache, the gradebook's first creation
        ratios, scores = [], set()
        print(f"{args.students} submissions of assignment 1, 2 workers; this checkout vs {args.base}, {args.pairs} pairs")
        for pair in range(args.pairs):
            old, new = run(base, args.students), run(REPO, args.students)
            ratios.append(new["wall"] / old["wall"])
            scores |= {json.dumps(old["scores"], sort_keys=True), json.dumps(new["scores"], sort_keys=True)}
            print(f"  pair {pair + 1}: {args.base} {old['wall']:.2f} s, this checkout {new['wall']:.2f} s, "
                  f"ratio {ratios[-1]:.3f}")
        median = statistics.median(ratios)
        ok = median <= args.max_ratio and len(scores) == 1
        print(f"median ratio {median:.3f} (at most {args.max_ratio}); identical scores: {len(scores) == 1}: "
              f"{'ok' if ok else 'FAILED'}; load average {os.getloadavg()[0]:.1f}")
        return 0 if ok else 1
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)])


if __name__ == "__main__":
    sys.exit(main())
