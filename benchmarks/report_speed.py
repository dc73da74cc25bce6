"""Benchmark: `make report` on a class of 200 submissions of assignment 1, beside grading it.

    .venv/bin/python benchmarks/report_speed.py [--students 200] [--workers 2]

The class (rotating through the full solution, every known mistake of tests/mistakes/, two
students of alternative answers from tests/alternatives/ and the untouched release copy, each
submission a file of its own) is graded once by `make grade`'s grader, which also runs the known
mistakes on its warm workers once the students are done (as it does when asked or once a report
has used them: grading/clusters.py `refresh`); its share of the grading is printed. Then, in one run:

* the first report after grading (the mistakes' signatures cached by the grading), and its parts
  timed alone: reading the class from the gradebook and the per-test statistics, the clusters,
  the similar pairs (copydetect over every pair);
* the report again (everything cached);
* the first report after one entry of the mistakes file changed (that entry runs alone, on a pool
  of the report's own);
* the first report with no mistake cached (a class graded without them and never reported: the
  report runs every entry on a pool of its own): the worst case, printed, not a bar.

Prints each time and its ratio to the grading time, and the load average before and after. Exits 1
when the first report after grading, the cached one or the one after a changed entry takes a
minute or more.
"""
import argparse
import dataclasses
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

from grading import analytics, clusters, course, demo, grader, html_report, sandbox, similarity  # noqa: E402

NAME = "01_tensor_basics"
LIMIT = 60.0   # seconds for a report of 200 submissions


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
    print(f"  {label:<50} {times[label]:7.1f} s", flush=True)
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    settings = grader.Settings(workers=args.workers, sandbox=sandbox.bwrap_available())
    quiet = lambda *_: None   # noqa: E731
    note = lambda line: line.startswith("note:") and print(line)   # noqa: E731
    times, grading = {}, {}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="report-speed-") as tmp:
        root = demo.make_course(Path(tmp) / "course", [NAME])
        build(root, args.students)
        print(f"{args.students} submissions of {NAME}, {args.workers} workers, "
              f"{'sandboxed' if settings.sandbox else 'no sandbox'}, load average {load[0]:.1f} {load[1]:.1f}:")
        timed(GRADE, lambda: grader.grade(root, NAME, dataclasses.replace(settings, mistakes=True), out=note,
                                          progress=False, timings=grading), times)
        runs = len(clusters.spec(NAME))
        grading.setdefault("mistakes", 0.0)   # (none: the grading could not run them, said above)
        print(f"  {f'  of which the {runs} known mistakes (on its workers)':<50} {grading['mistakes']:7.1f} s", flush=True)
        timed(FIRST, lambda: html_report.write(root, NAME, settings=settings, out=quiet), times)
        known = clusters.mistake_signatures(root, NAME, settings, out=quiet)
        data = timed("  reading the class, per-test statistics",
                     lambda: (lambda d: (d, analytics.per_test(d)))(analytics.load(root, NAME)), times)[0]
        groups = timed("  clusters", lambda: clusters.cluster(data.failures, data.tests, known), times)
        pairs = timed("  similar pairs (copydetect, every pair)", lambda: similarity.for_class(root, NAME), times)
        timed(CACHED, lambda: html_report.write(root, NAME, settings=settings, out=quiet), times)
        entries = clusters.spec(NAME)
        first = next(iter(entries))
        edited = dict(entries, **{first: dict(entries[first], code=entries[first]["code"] + "\n# edited\n")})
        spec, clusters.spec = clusters.spec, lambda name: edited
        try:
            timed(EDITED, lambda: html_report.write(root, NAME, settings=settings, out=quiet), times)
        finally:
            clusters.spec = spec
        forget(root)
        timed(COLD.format(runs=runs), lambda: html_report.write(root, NAME, settings=settings, out=quiet), times)
    load = os.getloadavg()
    print(f"{len(groups)} clusters, {len(pairs)} similar pairs; load average after {load[0]:.1f} {load[1]:.1f}")
    total = times[GRADE]
    print(f"grading's known mistakes / grading: {grading['mistakes'] / total:.3f}")
    failed = []
    for label in (FIRST, CACHED, EDITED, COLD.format(runs=runs)):
        gated = label != COLD.format(runs=runs)
        print(f"{label.split(' (')[0]} / grading: {times[label] / total:.3f}" + ("" if gated else " (not a bar)"))
        if gated and times[label] >= LIMIT:
            failed.append(f"{label}: {times[label]:.1f} s")
    if failed:
        print(f"FAIL (the bar is {LIMIT:g} s): " + "; ".join(failed))
        return 1
    return 0


GRADE = "grading the class (make grade)"
FIRST = "the first report after grading (make report)"
CACHED = "the report again (everything cached)"
EDITED = "the report after one mistake's code changed (1 run)"
COLD = "the report, no mistake cached ({runs} runs)"


def forget(root):
    """Empty the known mistakes' cache of the course at `root`, as a class never reported has it."""
    from nbgrader.api import Gradebook
    from sqlalchemy import text
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        gb.db.execute(text("DELETE FROM course_mistake"))
        gb.db.commit()


if __name__ == "__main__":
    sys.exit(main())
