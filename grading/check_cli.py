"""The instructor's commands for deadlines per student and Check my work's limits
(`make extend`, `make accommodate`, `make check-limits`; grading/__main__.py parses them)."""
import csv
from pathlib import Path

from . import check_store, late
from .course import GradingError, nbgrader_api


def _fmt(when):
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "none (no due date)"


def run(root, args, out=print):
    if args.command == "extend":
        deadline = late.set_extension(root, args.name, args.student, until=args.until, days=args.days)
        out(f"{args.student}'s deadline for {args.name}: {_fmt(deadline)}")
    elif args.command == "accommodate":
        pairs = []
        if args.file:
            with open(args.file, newline="", encoding="utf-8-sig") as f:
                rows = list(csv.DictReader(f))
            if rows and not {"student", "extra_days"} <= set(rows[0]):
                raise GradingError(f"{args.file} needs the columns student and extra_days")
            pairs = [(r["student"].strip(), float(r["extra_days"] or 0)) for r in rows if r["student"].strip()]
        elif args.student and args.days is not None:
            pairs = [(args.student, args.days)]
        else:
            raise GradingError("accommodate needs STUDENT=<id> DAYS=<n>, or FILE=<csv with student,extra_days>")
        for student, days in pairs:
            late.set_accommodation(root, student, days)
        out(f"extra days on every assignment for {len(pairs)} student(s): "
            + ", ".join(f"{s} +{d:g}" for s, d in pairs[:10]))
    elif args.command == "check-limits":
        from nbgrader.api import Gradebook
        api = nbgrader_api(root)
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            rules = check_store.limits(gb.db, args.name)
            given = {"per_hour": args.per_hour, "per_day": args.per_day, "total": args.total,
                     "after_deadline": args.after_deadline}
            if any(v is not None for v in given.values()):
                # -1: "none" on the command line, no such limit
                new = {k: (None if v == -1 else v) for k, v in given.items() if v is not None}
                rules = check_store.Limits(**{**check_store.limits_json(rules), **new})
                try:
                    check_store.set_limits(gb.db, args.name, rules)
                except ValueError as err:
                    raise GradingError(str(err)) from None
                gb.db.commit()
        where = "every assignment" if args.name == "*" else args.name
        out(f"Check my work on {where}: at most {rules.per_hour or 'any number of'} per hour, "
            f"{rules.per_day or 'any number'} per day, {rules.total or 'any number'} before the deadline; "
            f"after it: {rules.after_deadline}")
    return 0
