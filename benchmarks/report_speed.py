"""Benchmark: `make report` on a class of 200 submissions of assignment 1, beside grading it.

    .venv/bin/python benchmarks/report_speed.py [--students 200] [--workers 2]

The class (rotating through the full solution, every known mistake of tests/mistakes/, two
students of alternative answers from tests/alternatives/ and the untouched release copy, each
submission a file of its own) is graded once by `make grade`'s grader; then, in one run:

* the known mistakes' signatures are computed (each entry run once in a sandbox; cached after:
  what the first report after a change of the tests or of the mistakes file pays);
* the report is written with them cached, and its parts are timed alone: reading the class
  from the gradebook and the per-test statistics, the clusters, the similar pairs (copydetect
  over every pair), the figures and the page.

Prints each time and the report's ratio to the grading time. Exits 1 when the report (mistakes
cached) takes a minute or more.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

import nbformat  # noqa: E402
import specs  # noqa: E402

from grading import analytics, clusters, demo, grader, html_report, sandbox, similarity  # noqa: E402

NAME = "01_tensor_basics"
LIMIT = 60.0   # seconds for the report of 200 submissions, mistakes cached


def build(root, students):
    """Write `students` submissions of NAME, rotating through the kinds the docstring names."""
    import runpy
    spec = specs.load_spec(NAME)
    alternatives = runpy.run_path(str(REPO / "tests" / "alternatives" / f"{NAME}.py"))["ALTERNATIVES"]
    by_cell = {}
    for entry in alternatives.values():
        by_cell.setdefault(entry["cell"], []).append(entry["code"])
    for filename, source_nb, release_nb in demo.notebooks(root, NAME):
        answers = demo.solution_cells(source_nb)
        kinds = [answers] + [dict(answers, **specs.mistake_answers(spec, m)) for m in spec["MISTAKES"]]
        kinds += [dict(answers, **{c: codes[k % len(codes)] for c, codes in by_cell.items()}) for k in (0, 1)]
        kinds.append(None)
        for i in range(students):
            kind = kinds[i % len(kinds)]
            target = root / "submitted" / f"s{i:03d}" / NAME / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(release_nb if kind is None else demo.fill(release_nb, kind), target)


def timed(label, fn, times):
    started = time.perf_counter()
    value = fn()
    times[label] = time.perf_counter() - started
    print(f"  {label:<44} {times[label]:7.1f} s", flush=True)
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    settings = grader.Settings(workers=args.workers, sandbox=sandbox.bwrap_available())
    times = {}
    with tempfile.TemporaryDirectory(prefix="report-speed-") as tmp:
        root = demo.make_course(Path(tmp) / "course", [NAME])
        build(root, args.students)
        print(f"{args.students} submissions of {NAME}, {args.workers} workers, "
              f"{'sandboxed' if settings.sandbox else 'no sandbox'}:")
        timed("grading the class (make grade)", lambda: grader.grade(root, NAME, settings, out=lambda *_: None,
                                                                    progress=False), times)
        known = timed(f"known mistakes' signatures ({len(clusters.spec(NAME))} runs, then cached)",
                      lambda: clusters.mistake_signatures(root, NAME, settings, out=lambda *_: None), times)
        data = timed("reading the class, per-test statistics",
                     lambda: (lambda d: (d, analytics.per_test(d)))(analytics.load(root, NAME)), times)[0]
        groups = timed("clusters", lambda: clusters.cluster(data.failures, data.tests, known), times)
        pairs = timed("similar pairs (copydetect, every pair)", lambda: similarity.for_class(root, NAME), times)
        timed("the whole report (make report, mistakes cached)",
              lambda: html_report.write(root, NAME, settings=settings, out=lambda *_: None), times)
    report = times["the whole report (make report, mistakes cached)"]
    grading = times["grading the class (make grade)"]
    print(f"{len(groups)} clusters, {len(pairs)} similar pairs")
    print(f"report / grading: {report / grading:.3f}; "
          f"report with the mistakes run first: {report + times[next(k for k in times if k.startswith('known'))]:.1f} s")
    if report >= LIMIT:
        print(f"FAIL: the report took {report:.1f} s, the bar is {LIMIT:g} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
