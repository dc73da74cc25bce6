"""Rosters from, and grades to, a university's LMS (Canvas, Moodle), as CSV files.

    python -m grading roster FILE.csv [--lms canvas|moodle] [--id-column COLUMN]
    python -m grading lms-export canvas [--roster CANVAS_EXPORT.csv] [--to canvas_import.csv]
    python -m grading lms-export moodle [--by email|username|idnumber] [--to moodle_import.csv]

The layouts are the ones the LMSs document:

* Canvas's gradebook export (Grades > Export) and import (Grades > Import) share one layout:
  columns `Student` ("Last, First"), `ID` (Canvas's user id), `SIS User ID`, `SIS Login ID`,
  `Section`, then one column per assignment named "<title> (<Canvas assignment id>)"; the export's
  second row is "Points Possible". An import needs one of Student / ID / SIS User ID, plus SIS Login
  ID, Section and the assignment columns; a column without a Canvas id creates a new assignment.
  (Canvas export columns and "<title> (<id>)": https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html;
  import requirements: https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades;
  read-only columns ignored on re-upload: https://ts.vcu.edu/askit/teaching-and-learning/canvas/faculty/grading-faculty/gradebook-action-menu-faculty/)
  The roster is that export: the nbgrader student id is the SIS Login ID (the university login,
  which is also the hub's user name), else the SIS User ID, else Canvas's ID.
* Moodle's grade export (plain text file) has `First name`, `Last name`, `ID number`,
  `Institution`, `Department`, `Email address` and one column per grade item; its CSV grade import
  takes the same layout and asks which column identifies the user: "Email address" mapped to
  useremail, or "ID number" to useridnumber (or a username column to username), then maps each
  grade column to a grade item (https://docs.moodle.org/311/en/Grade_import: "The import file
  format is the same as the corresponding export format"). The roster is a Moodle export with
  those name and email columns (the grade export or the participants download); the student id is
  its `Username` column when present, else `ID number`, else the email's local part.

An import checks the whole file before it writes anything: a row without an id, an id that cannot
be a folder name (nbgrader's submitted/<student>/), or a duplicate stops it with the row numbers.
The roster imported last is kept in the gradebook, and `lms-export canvas` fills it in by default.
"""
import csv
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import records
from .course import GradingError, nbgrader_api

CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("First name", "Last name", "ID number", "Institution", "Department", "Email address")
POINTS_POSSIBLE = "Points Possible"
# Folder-safe ids; also what a hub's user name (NativeAuthenticator, PAM) can be.
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# A Canvas assignment column: "<title> (<id>)".
CANVAS_ASSIGNMENT = re.compile(r"^(?P<title>.*\S)\s+\((?P<id>\d+)\)$")


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


def _read_rows(path):
    """(header, [(row number, {column: value})]); Excel's byte-order mark is fine."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise GradingError(f"{path} is not UTF-8 text: save it from the LMS as CSV (UTF-8)") from None
    except OSError as err:
        raise GradingError(f"cannot read {path}: {err.strerror}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = [(i + 2, {k: (v or "").strip() for k, v in row.items() if k is not None}) for i, row in enumerate(reader)]
    return header, rows


def detect(header):
    """'canvas' or 'moodle' from a roster's columns, or None."""
    if {"Student", "SIS Login ID", "Section"} <= set(header) or {"Student", "ID", "Section"} <= set(header):
        return "canvas"
    if {"First name", "Last name"} <= set(header) and ("Email address" in header or "Username" in header):
        return "moodle"
    return None


def _split_canvas_name(name):
    """Canvas writes 'Last, First'."""
    last, _, first = name.partition(",")
    return (first.strip(), last.strip()) if first else ("", name.strip())


def read_roster(path, lms=None, id_column=None):
    """Return the [Student] of a Canvas or Moodle roster export (checked as a whole)."""
    header, rows = _read_rows(path)
    lms = lms or detect(header)
    if lms not in ("canvas", "moodle"):
        raise GradingError(
            f"{path} is neither a Canvas gradebook export (columns {', '.join(CANVAS_ID_COLUMNS)}) nor a "
            f"Moodle export (columns {', '.join(MOODLE_COLUMNS)}); its columns: {', '.join(header) or 'none'}")
    if id_column and id_column not in header:
        raise GradingError(f"{path} has no column {id_column!r}; its columns: {', '.join(header)}")
    students, problems, seen = [], [], {}
    for number, row in rows:
        if lms == "canvas":
            if row.get("Student", "") == POINTS_POSSIBLE or row.get("Student", "").endswith(POINTS_POSSIBLE):
                continue
            if row.get("Student", "").lower() == "student, test":   # Canvas's Test Student
                continue
            sid = row.get(id_column) if id_column else (
                row.get("SIS Login ID") or row.get("SIS User ID") or row.get("ID"))
            first, last = _split_canvas_name(row.get("Student", ""))
            email = row.get("Email", "") or row.get("Email address", "")
        else:
            email = row.get("Email address", "")
            sid = row.get(id_column) if id_column else (
                row.get("Username") or row.get("ID number") or email.partition("@")[0])
            first, last = row.get("First name", ""), row.get("Last name", "")
        if not any(row.values()):
            continue
        if not sid:
            problems.append(f"row {number}: no student id")
        elif not VALID_ID.match(sid):
            problems.append(f"row {number}: {sid!r} cannot be a student id (letters, digits, . _ @ - only)")
        elif sid in seen:
            problems.append(f"row {number}: {sid!r} again (first on row {seen[sid]})")
        else:
            seen[sid] = number
            students.append(Student(sid, first, last, email))
    if problems:
        raise GradingError(f"{path}: nothing was imported:\n  " + "\n  ".join(problems))
    if not students:
        raise GradingError(f"{path} lists no students; nothing was imported")
    return students


def import_roster(root, path, lms=None, id_column=None):
    """Add (or update) the roster's students in the course's gradebook, and keep the roster there
    (`records.set_roster`, for `export`); return the students."""
    from nbgrader.api import Gradebook
    students = read_roster(path, lms, id_column)
    header, _ = _read_rows(path)
    api = nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        for s in students:
            gb.update_or_create_student(s.id, first_name=s.first_name or None,
                                        last_name=s.last_name or None, email=s.email or None)
        records.set_roster(gb.db, lms or detect(header), Path(path).name, Path(path).read_text(encoding="utf-8-sig"))
        gb.db.commit()
    return students


def imported_roster(root):
    """(lms, file name, text) of the roster imported last (`make roster`), or None."""
    from nbgrader.api import Gradebook
    api = nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        return records.roster(gb.db)


def _gradebook_scores(root):
    """({assignment: max score}, {(assignment, student): final score (nbgrader's: manual grades in,
    late penalty off)}, {student: Student}); an empty class stops here, before anything is written."""
    from nbgrader.api import Gradebook

    from .grades import require_gradebook
    api = require_gradebook(root)   # never creates an empty gradebook
    maxima, scores, people = {}, {}, {}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        for assignment in gb.assignments:
            maxima[assignment.name] = assignment.max_score
            for sub in assignment.submissions:
                scores[(assignment.name, sub.student.id)] = max(0.0, sub.score - (sub.late_submission_penalty or 0))
        for s in gb.students:
            people[s.id] = Student(s.id, s.first_name or "", s.last_name or "", s.email or "")
    if not scores:
        raise GradingError("no graded submission in the gradebook: grade a class first "
                           "(`make grade A=<assignment>`); nothing was written")
    return maxima, scores, people


def _number(x):
    return f"{x:g}"


def _key(title):
    """A title as matched: case, spaces, '_' and '-' ignored ('01 Tensor basics' = '01_tensor_basics')."""
    return re.sub(r"[\s_-]+", "", title).casefold()


def match_columns(header, names, ids=None):
    """{assignment: Canvas column} for each of `names`: the export's column "<title> (<id>)" whose
    id is the assignment's in `ids` ({assignment: Canvas id}), else whose title is the
    assignment's name (case, spaces, '_' and '-' aside), else a new column "<name>"; and the
    warnings: assignments given a new column, Canvas assignment columns nothing matched."""
    ids = {k: str(v) for k, v in (ids or {}).items()}
    found = [(m.group("title"), m.group("id"), column) for column in header
             for m in [CANVAS_ASSIGNMENT.match(column)] if m]
    columns, warnings = {}, []
    for name in sorted(names):
        by_id = [column for _, cid, column in found if ids.get(name) == cid]
        by_title = [column for title, _, column in found if _key(title) == _key(name)]
        columns[name] = (by_id or by_title or [name])[0]
        if not by_id and not by_title:
            warnings.append(f"{name}: no Canvas column matches its id or title, so a new column {name!r} is "
                            f"written (Canvas creates an assignment on import)")
    used = set(columns.values())
    unmatched = [column for _, _, column in found if column not in used]
    if unmatched:
        warnings.append("Canvas assignment columns no assignment matched, left out: " + ", ".join(unmatched))
    return columns, warnings


def canvas_export(root, roster_path, target, ids=None, warn=print):
    """Write `target` in Canvas's gradebook import layout: a row per student of the Canvas export
    `roster_path` (identity columns as they are), a column per assignment (`match_columns`; `warn`
    says what did not match), the "Points Possible" row. Returns (rows, students not in Canvas)."""
    header, rows = _read_rows(roster_path)
    if detect(header) != "canvas":
        raise GradingError(f"{roster_path} is not a Canvas gradebook export (columns {', '.join(CANVAS_ID_COLUMNS)})")
    students = {s.id: s for s in read_roster(roster_path, "canvas")}
    maxima, scores, people = _gradebook_scores(root)
    columns, warnings = match_columns(header, maxima, ids)
    for line in warnings:
        warn(f"warning: {line}")
    out_header = [c for c in CANVAS_ID_COLUMNS if c in header] + list(columns.values())
    written = []
    for number, row in rows:
        student = row.get("Student", "")
        if student.endswith(POINTS_POSSIBLE) or not any(row.values()) or student.lower() == "student, test":
            continue
        sid = row.get("SIS Login ID") or row.get("SIS User ID") or row.get("ID")
        out = {c: row.get(c, "") for c in CANVAS_ID_COLUMNS if c in header}
        for name, column in columns.items():
            out[column] = _number(scores[(name, sid)]) if (name, sid) in scores else ""
        written.append(out)
    points = {c: "" for c in out_header}
    points["Student"] = POINTS_POSSIBLE
    points.update({column: _number(maxima[name]) for name, column in columns.items()})
    _write(target, out_header, [points] + written)
    graded = {sid for (_, sid) in scores}
    return len(written), sorted(graded - set(students))


MOODLE_IDS = {"email": "Email address", "username": "Username", "idnumber": "ID number"}


def moodle_export(root, target, by=None):
    """Write `target` in Moodle's CSV grade import layout: First name, Last name, the identifying
    column (`by`: Email address -> useremail, Username -> username, ID number -> useridnumber), one
    column per assignment (map each to its grade item on import). Students come from the gradebook
    (the roster import gave them names and emails). Returns the number of rows."""
    maxima, scores, people = _gradebook_scores(root)
    missing = sorted(s.id for s in people.values() if not s.email)
    by = by or ("username" if missing else "email")   # the default: email where every student has one
    if by not in MOODLE_IDS:
        raise GradingError(f"BY= (--by) must be one of {', '.join(MOODLE_IDS)}")
    if by == "email" and missing:
        raise GradingError("no email address in the gradebook for " + ", ".join(missing[:20])
                           + ": import the Moodle roster first (make roster FILE=<export.csv>), or BY=username")
    header = ["First name", "Last name", MOODLE_IDS[by]] + sorted(maxima)
    rows = []
    for sid, s in sorted(people.items()):
        row = {"First name": s.first_name, "Last name": s.last_name,
               MOODLE_IDS[by]: s.email if by == "email" else sid}
        for name in maxima:
            row[name] = _number(scores[(name, sid)]) if (name, sid) in scores else ""
        rows.append(row)
    _write(target, header, rows)
    return len(rows)


def export(root, lms, roster=None, by=None, target=None, ids=None, out=print):
    """`make lms-export`: write the grades in `lms`'s import layout to `target` (default:
    <course>/<lms>_grades.csv) and say what was written. Canvas fills in `roster` (its gradebook
    export), by default the roster imported last with `make roster`."""
    from .course import plural
    root = Path(root)
    target = Path(target) if target else root / f"{lms}_grades.csv"
    _gradebook_scores(root)   # an empty class (no gradebook, nothing graded) stops first
    if lms == "canvas":
        if roster is None:
            kept = imported_roster(root)
            if kept is None or kept[0] != "canvas":
                raise GradingError("Canvas needs its gradebook export (Grades > Export), whose identity "
                                   "columns and assignment ids the import matches: import it once with "
                                   "make roster FILE=<export.csv>, or name it: make lms-export LMS=canvas "
                                   "ROSTER=<export.csv>")
            _, filename, text = kept
            with tempfile.TemporaryDirectory() as tmp:
                roster = Path(tmp) / filename
                roster.write_text(text, encoding="utf-8")
                out(f"using the Canvas roster imported with make roster ({filename})")
                count, unknown = canvas_export(root, roster, target, ids, warn=out)
        else:
            count, unknown = canvas_export(root, roster, target, ids, warn=out)
        if unknown:
            out(f"not in the Canvas roster, left out: {', '.join(unknown)}")
    else:
        count = moodle_export(root, target, by)
    out(f"wrote {count} {plural(count, 'student')} to {target} ({lms} grade import layout)")
    from .late import said_in_export
    said = said_in_export(root)
    if said:
        out(said)
    return count


def _write(target, header, rows):
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(target)
