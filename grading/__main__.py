"""Command line for the instructor's pipeline; the Makefile's targets call it."""
import argparse
import sys

from . import course, demo


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
    p = sub.add_parser("demo", help="grade the embedded demo class and print its table")
    p.add_argument("names", nargs="*")
    args = parser.parse_args(argv)

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
        elif args.command == "demo":
            demo.run(args.names or None)
    except course.GradingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
