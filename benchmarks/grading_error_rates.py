"""The grader's two error rates per assignment, from tests/mistakes/ and tests/alternatives/.

    .venv/bin/python benchmarks/grading_error_rates.py [assignment ...]

* wrong answers given credit: the share of typical mistakes that pass a test they should fail;
* correct answers losing points: the share of correct answers in other styles that fail a test.

Each answer is judged in process exactly as `make grade` judges (grading/verdict.py against the
solution's observations). Exits 1 unless both rates are 0 everywhere.
"""
import os
import runpy
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]
os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
shared = REPO.parent / "shared" / "data" / "fashion-mnist-excerpt"
if shared.is_dir():
    os.environ.setdefault("FASHION_MNIST_DIR", str(shared))

import specs  # noqa: E402
from grading import course  # noqa: E402
from test_mistakes import judge  # noqa: E402


def rates(name):
    mistakes = specs.load_spec(name)["MISTAKES"]
    alternatives = runpy.run_path(str(REPO / "tests" / "alternatives" / f"{name}.py"))["ALTERNATIVES"]
    missed = [m for m, e in mistakes.items()
              if not set(e["fails"]) <= {t for t, why in judge(name, {e["cell"]: e["code"]}).items() if why}]
    rejected = [a for a, e in alternatives.items() if any(judge(name, {e["cell"]: e["code"]}).values())]
    return (len(missed), len(mistakes), missed), (len(rejected), len(alternatives), rejected)


def main(names):
    print(f"{'assignment':24} {'wrong answers given credit':>28} {'correct answers losing points':>31}")
    bad = 0
    for name in names:
        (m, mt, missed), (r, rt, rejected) = rates(name)
        bad += m + r
        print(f"{name:24} {m:>10} of {mt:<3} ({m / max(mt, 1):6.1%})   {r:>10} of {rt:<3} ({r / max(rt, 1):6.1%})")
        for what in missed:
            print(f"    given credit: {what}")
        for what in rejected:
            print(f"    lost points:  {what}")
    return 1 if bad else 0


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        sys.exit(0)
    unknown = sorted(set(sys.argv[1:]) - set(course.assignments()))
    if unknown:
        sys.exit(f"no assignment {', '.join(unknown)}: one of {', '.join(course.assignments())}")
    sys.exit(main(sys.argv[1:] or course.assignments()))
