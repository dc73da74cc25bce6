"""Command line for the instructor's pipeline; the Makefile's targets call it.

Every command works on a course folder (`--course`, default: this repository): one holding
nbgrader_config.py, source/ and release/, with submissions in submitted/<student>/<assignment>/.
"""
import argparse
import sys
import warnings
from pathlib import Path

# Only the standard library and grading/course.py (which imports nbformat and nbgrader only where
# used) at the top: `--help`, a usage error and a wrong course folder or assignment name answer
# without importing nbgrader or torch (the commands import what they need).
from .course import REPO, assignments, plural

MOODLE_IDS = ("email", "idnumber", "username")   # grading/lms.py's MOODLE_IDS (a test keeps them equal)
NAMED = ("autograde", "feedback", "grade", "due", "report", "extend")   # the commands that take one assignment's name


def _course(value):
    root = Path(value).resolve()
    if not (root / "nbgrader_config.py").exists():
        raise argparse.ArgumentTypeError(f"{root} is not a course folder (no nbgrader_config.py)")
    return root


def _ids(value):
    pairs = [part.partition("=") for part in value.split(",") if part.strip()]
    if not pairs or any(not name.strip() or not cid.strip().isdigit() for name, _, cid in pairs):
        raise argparse.ArgumentTypeError(f"expected NAME=ID[,NAME=ID ...] with numeric Canvas ids, got {value!r}")
    return {name.strip(): cid.strip() for name, _, cid in pairs}


def unknown_assignment(root, names):
    """A usage error for the first of `names` that is not an assignment of the course, else None."""
    known = assignments(root) if (Path(root) / "source").is_dir() else []
    for name in names:
        if name not in known:
            return f"no assignment {name!r} in {Path(root) / 'source'}: one of {', '.join(known) or '(none)'}"
    return None


def _release(root, args):
    from . import release
    release.generate(root, args.names or None)
    print("release/ regenerated for:", ", ".join(args.names or assignments(root)))


def _check_release(root, args):
    from . import release
    drift = release.release_drift(root, args.names or None)
    if drift:
        print("release/ is out of date (run `make release`):\n  " + "\n  ".join(drift))
        return 1
    print("release/ matches source/")


def _autograde(root, args):
    from . import autograde
    for student, state in sorted(autograde.autograde(root, args.name).items()):
        print(f"{student}: {state}")


def _feedback(root, args):
    from . import feedback
    feedback.generate(root, args.name, hints=True)
    print(f"feedback written to {root / 'feedback'}/<student>/{args.name}/")


def _export(root, args):
    from . import grades
    rows = grades.export(root, args.to)
    print(f"wrote {len(rows)} {plural(len(rows), 'row')} to {root / args.to}")


def _grade(root, args):
    from . import grader, grades, report
    given = {"workers": args.workers, "cell_timeout": args.timeout,
             "notebook_timeout": args.notebook_timeout, "memory_mb": args.memory_mb}
    settings = grader.Settings(**{k: v for k, v in given.items() if v is not None},
                               force=args.force, sandbox=not args.no_sandbox,
                               scheduler=args.scheduler, preimport=not args.no_preimport, mistakes=args.mistakes)
    only = {s.strip() for s in args.student.split(",") if s.strip()} if args.student else None
    if not settings.sandbox:
        print("grading WITHOUT the sandbox (SANDBOX=0): submissions run with your permissions")
    if args.dry_run:
        from . import dryrun
        dryrun.run(root, args.name, settings)
        return 0
    grader.grade(root, args.name, settings, only=only)
    grades.export(root, args.csv)
    results = grades.results(root, [args.name])
    print(report.format_table(results))
    print(report.summary(results))
    print(f"grades written to {root / args.csv}")


def _report(root, args):
    from . import html_report
    print(f"report written to {html_report.write(root, args.name, threshold=args.threshold)}")


def _roster(root, args):
    from . import lms
    students = lms.import_roster(root, args.file, args.lms, args.id_column)
    print(f"{len(students)} {plural(len(students), 'student')} in the gradebook from {args.file}: "
          + ", ".join(s.id for s in students[:10]) + (" ..." if len(students) > 10 else ""))


def _lms_export(root, args):
    from . import lms
    lms.export(root, args.lms, roster=args.roster, by=args.by, target=args.to, ids=args.ids)


def _limit(value):
    """A limit of checks on the command line: a whole number, or 'none' (no limit: -1 here)."""
    if value.lower() == "none":
        return -1
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: a number of checks, or none") from None


def _deadlines_and_checks(root, args):
    from . import check_cli
    return check_cli.run(root, args)


def _due(root, args):
    from . import late
    print(f"{args.name} is due {late.set_due_date(root, args.name, args.when)} (UTC)")


def _demo(root, args):
    from . import demo
    demo.run(args.names or None, target=args.to)


def parser():
    """The command line: one subparser per command, each with its handler (`handler(root, args)`,
    which imports what its command needs)."""
    p = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, handler, help, course=True):
        c = sub.add_parser(name, help=help)
        c.set_defaults(handler=handler)
        if course:
            c.add_argument("--course", type=_course, default=REPO, help="the course folder (default: the repository)")
        return c

    c = command("release", _release, "regenerate release/ from source/ (all assignments, or those named)")
    c.add_argument("names", nargs="*")
    c = command("check-release", _check_release, "exit 1 if release/ differs from a fresh generation")
    c.add_argument("names", nargs="*")
    c = command("autograde", _autograde, "plain nbgrader autograde of every submission, one by one, no sandbox")
    c.add_argument("name")
    c = command("feedback", _feedback, "generate HTML feedback (hidden tests removed)")
    c.add_argument("name")
    c = command("export", _export, "write grades.csv (nbgrader's columns, the autograded score, status)")
    c.add_argument("--to", default="grades.csv")
    c = command("grade", _grade, "grade the submissions of an assignment in parallel, each in a sandbox")
    c.add_argument("name")
    # defaults: grading/settings.py's (None here: the grader fills them in)
    c.add_argument("--workers", type=int, help="parallel submissions (default: one per core)")
    c.add_argument("--timeout", type=int, help="seconds per cell (default 60)")
    c.add_argument("--notebook-timeout", type=int, help="seconds per notebook (default 600)")
    c.add_argument("--memory-mb", type=int, help="memory cap of a kernel in MB (default 4096)")
    c.add_argument("--student", help="regrade just these students (comma-separated ids)")
    c.add_argument("--force", action="store_true", help="regrade every student (resumable: a later run continues)")
    c.add_argument("--no-sandbox", action="store_true", help="run kernels without bubblewrap (not isolated)")
    c.add_argument("--scheduler", help="grade on the workers of this Dask scheduler (tcp://host:8786)")
    c.add_argument("--no-preimport", action="store_true",
                   help="start every kernel from scratch instead of forking it from a template that has imported torch")
    c.add_argument("--csv", default="grades.csv", help="where to export grades afterwards")
    c.add_argument("--mistakes", action="store_true",
                   help="also run the known mistakes of tests/mistakes/ for the report, on the grading's workers "
                        "(done anyway once a report or feedback has used them)")
    c.add_argument("--dry-run", action="store_true",
                   help="regrade everyone in a scratch copy and print whose score would change; write nothing")
    c = command("report", _report, "write the HTML report of a graded assignment (build/report/<name>/index.html)")
    c.add_argument("name")
    c.add_argument("--threshold", type=float, default=0.8, help="similar pairs: the least share of code shared")
    c = command("roster", _roster, "add the students of a Canvas or Moodle roster export (CSV) to the gradebook")
    c.add_argument("file", type=Path)
    c.add_argument("--lms", choices=("canvas", "moodle"), help="the roster's layout (default: from its columns)")
    c.add_argument("--id-column", help="the column holding the student id (default: SIS Login ID / Username)")
    c = command("lms-export", _lms_export, "write the grades in the CSV layout Canvas or Moodle imports")
    c.add_argument("lms", choices=("canvas", "moodle"))
    c.add_argument("--roster", type=Path, help="Canvas: the gradebook export to fill in (default: the roster "
                                               "imported last with `make roster`)")
    c.add_argument("--by", choices=MOODLE_IDS, help="Moodle: the identifying column (default: email, else username)")
    c.add_argument("--ids", type=_ids, help="Canvas: assignment ids, NAME=ID[,NAME=ID ...] "
                                            "(default: columns matched by title)")
    c.add_argument("--to", type=Path, help="the CSV to write (default: <lms>_grades.csv in the course)")
    c = command("due", _due, "set an assignment's due date (late penalties: nbgrader_config.py)")
    c.add_argument("name")
    c.add_argument("when", help='e.g. "2026-03-01 23:59:00 UTC"')
    c = command("extend", _deadlines_and_checks, "give one student an extension of an assignment (their own deadline)")
    c.add_argument("name")
    c.add_argument("student")
    c.add_argument("--until", help='their deadline, e.g. "2026-03-08 23:59:00 UTC"')
    c.add_argument("--days", type=float, help="days after the due date (0: remove the extension)")
    c = command("accommodate", _deadlines_and_checks,
                "give students extra days on every assignment (STUDENT=id DAYS=n, or a CSV student,extra_days)")
    c.add_argument("--student")
    c.add_argument("--days", type=float)
    c.add_argument("--file", type=Path, help="a CSV with the columns student and extra_days")
    c = command("check-limits", _deadlines_and_checks, "set or show Check my work's limits (grading/check_store.py)")
    c.add_argument("name", nargs="?", default="*", help="an assignment (default: every assignment)")
    c.add_argument("--per-hour", type=_limit, help="a number of checks, or none (no limit)")
    c.add_argument("--per-day", type=_limit)
    c.add_argument("--total", type=_limit, help="checks before the student's deadline")
    c.add_argument("--after-deadline", choices=("refuse", "mark"))
    c = command("demo", _demo, "grade the embedded demo class and print its table", course=False)
    c.add_argument("names", nargs="*")
    c.add_argument("--to", type=Path, default=REPO / "build" / "demo", help="the demo course folder (replaced)")
    return p


def run(args):
    """Run the command `args` names (its handler); return the exit status."""
    return args.handler(getattr(args, "course", REPO), args) or 0


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    root = getattr(args, "course", REPO)
    names = [args.name] if args.command in NAMED else getattr(args, "names", [])
    if args.command == "check-limits" and args.name != "*":
        names = [args.name]
    wrong = unknown_assignment(root, names) if args.command != "demo" else None
    if wrong:
        p.error(wrong)   # exit 2, before nbgrader or torch is imported
    from . import course, grader
    # nbgrader 0.9.6 triggers SQLAlchemy autoflush warnings on every submission: harmless noise.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    try:
        return run(args)
    except grader.Interrupted as err:
        print(f"\n{err}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\ninterrupted before any student was graded; nothing was recorded", file=sys.stderr)
        return 130
    except course.GradingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
