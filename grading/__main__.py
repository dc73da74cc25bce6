"""Command line for the instructor's pipeline; the Makefile's targets call it."""
import argparse
import sys
import warnings

from . import course, demo, grader


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="regenerate release/ from source/ (all assignments, or those named)")
    p.add_argument("names", nargs="*")
    p = sub.add_parser("check-release", help="exit 1 if release/ differs from a fresh generation")
    p.add_argument("names", nargs="*")
    p = sub.add_parser("autograde", help="autograde every submission of an assignment, one by one")
    p.add_argument("name")
    p = sub.add_parser("feedback", help="generate HTML feedback (hidden tests removed)")
    p.add_argument("name")
    p = sub.add_parser("export", help="write grades.csv (nbgrader's columns plus status)")
    p.add_argument("--to", default="grades.csv")
    p = sub.add_parser("grade", help="grade every submission of an assignment in parallel, each in a sandbox")
    p.add_argument("name")
    p.add_argument("--workers", type=int, default=grader.Settings.workers, help="parallel submissions (default: one per core)")
    p.add_argument("--timeout", type=int, default=grader.Settings.cell_timeout, help="seconds per cell (default 60)")
    p.add_argument("--notebook-timeout", type=int, default=grader.Settings.notebook_timeout)
    p.add_argument("--memory-mb", type=int, default=grader.Settings.memory_mb)
    p.add_argument("--force", action="store_true", help="regrade students already graded")
    p.add_argument("--no-sandbox", action="store_true", help="run kernels without bubblewrap (not isolated)")
    p.add_argument("--csv", default="grades.csv", help="where to export grades afterwards")
    p = sub.add_parser("demo", help="grade the embedded demo class and print its table")
    p.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    # nbgrader 0.9.6 triggers SQLAlchemy autoflush warnings on every submission: harmless noise.
    warnings.filterwarnings("ignore", message=".*not in session.*")

    try:
        if args.command == "release":
            course.generate(course.REPO, args.names or None)
            print("release/ regenerated for:", ", ".join(args.names or course.assignments()))
        elif args.command == "check-release":
            drift = course.release_drift(course.REPO, args.names or None)
            if drift:
                print("release/ is out of date (run `make release`):\n  " + "\n  ".join(drift))
                return 1
            print("release/ matches source/")
        elif args.command == "autograde":
            status = course.autograde(course.REPO, args.name)
            for student, state in status.items():
                print(f"{student}: {state}")
        elif args.command == "feedback":
            course.feedback(course.REPO, args.name)
        elif args.command == "export":
            rows = course.export(course.REPO, args.to)
            print(f"wrote {len(rows)} rows to {args.to}")
        elif args.command == "grade":
            settings = grader.Settings(workers=args.workers, cell_timeout=args.timeout,
                                       notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb,
                                       force=args.force, sandbox=not args.no_sandbox)
            grader.grade(course.REPO, args.name, settings)
            course.export(course.REPO, args.csv)
            scores = course.scores(course.REPO, args.name)
            status = course.load_status(course.REPO).get(args.name, {})
            print(course.format_table({(args.name, s): (*scores.get(s, (0.0, None)), status.get(s, "no submission"))
                                       for s in course.students(course.REPO, args.name)}))
            print(f"grades written to {args.csv}")
        elif args.command == "demo":
            demo.run(args.names or None)
    except course.GradingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
