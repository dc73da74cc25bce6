"""The margins of an assignment's outcome tests: the metric each answer reaches on each hidden set.

    .venv/bin/python benchmarks/outcome_margins.py 05_spiral_mlp [--secrets 5] [--only fit,train_step]

For the solution, every correct alternative (tests/alternatives/) and every listed mistake
(tests/mistakes/) whose answer cell is in --only (default: every cell), the notebook is run in
process as tests/test_mistakes.py runs it, with the hidden sets made from --secrets course
secrets, and each outcome test's metric is printed per hidden set (worst first), with the share of
the points it earns (from the worst set, or the mean with over="mean", as the grader scores). Thresholds are set from these: the solution and every alternative clear
`full_marks` on every set of every secret; each mistake misses it on at least one set.
"""
import argparse
import os
import runpy
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]
os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

import inprocess  # noqa: E402
import specs  # noqa: E402
from conftest import read, source_notebooks  # noqa: E402
from grading import outcome, verdict  # noqa: E402


def margins(name, answers, secret):
    """{(test, outcome name): [metric per hidden set]} for `answers` under `secret`."""
    os.environ[outcome.SECRET_ENV] = secret
    found = {}
    for path in source_notebooks(name):
        held, _ = inprocess.heldout(str(path.parent))
        for test, cell in inprocess.execute(read(path), answers, cwd=path.parent).items():
            for record in verdict.observations(cell):
                if isinstance(record, dict) and record.get("fn") == outcome.FN:
                    items = record["value"]["items"]
                    found[(test, record["name"], record["metric"], record["full_marks"], record["no_marks"],
                           record.get("over", "worst"))] = [
                        outcome.metric_value(record["metric"], item["values"], targets)
                        for item, targets in zip(items, held.targets[record["name"]])]
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment")
    parser.add_argument("--secrets", type=int, default=5)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    spec = specs.load_spec(args.assignment)
    alternatives = runpy.run_path(str(REPO / "tests" / "alternatives" / f"{args.assignment}.py"))["ALTERNATIVES"]
    cases = [("solution", "solution", {})]
    cases += [("alternative", a, {e["cell"]: e["code"]}) for a, e in alternatives.items() if not only or e["cell"] in only]
    cases += [("mistake", m, specs.mistake_answers(spec, m)) for m, e in spec["MISTAKES"].items()
              if not only or e["cell"] in only]
    for kind, label, answers in cases:
        for s in range(args.secrets):
            inprocess.heldout.cache_clear()
            for (test, name, metric, full, zero, over), values in margins(args.assignment, answers, f"margins-{s}").items():
                shown = " ".join("none" if v is None else f"{v:.3f}" for v in values)
                if None in values:
                    decides, share = "", 0.0
                else:   # what the grader scores: the worst set, or the mean over the sets
                    value = sum(values) / len(values) if over == "mean" else \
                        (min(values) if outcome.METRICS[metric][1] else max(values))
                    decides, share = f" {over} {value:.3f}", outcome.credit(metric, value, full, zero)
                print(f"{kind:11} {label[:60]:60} secret {s}  {test}/{name} {metric}: {shown}{decides}  "
                      f"-> {share:.0%}", flush=True)


if __name__ == "__main__":
    main()
