"""The class's common mistakes: students whose failing tests failed the same way, grouped, and
named when a known mistake fails the same way; the hints those students get.

For each failing test, students are grouped by the signature grading/observed.py recorded (the
same check, the same kind of difference, the same values within the check's tolerance). A group
is named after the known mistakes of tests/mistakes/<assignment>.py whose own run fails that test
the same way: each entry is run once through the same tests, in a sandbox as a student's
notebook is (its answer cell in place of the solution's), and its signatures are cached in the
gradebook beside the reference, under the reference's key and the mistakes file's hash.

Hints: an entry may carry a "hint", a sentence the instructor wrote for a student who made that
mistake (what to look at, never the answer, a hidden input or an expected value). A student gets
it, under the failing test, when their failures match the entry's signature on every test the
entry fails; only the most specific matches count, a match two entries with different hints
share is ambiguous and gives none, and an entry that fails outcome tests only (a bar missed,
which many different mistakes do) gives none. An entry without a hint gives none.
"""
import hashlib
import json
import runpy
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from . import cells, course, observed, records

MISTAKES_DIR = course.REPO / "tests" / "mistakes"


def spec(name):
    """The MISTAKES of tests/mistakes/<name>.py ({} when there is no such file)."""
    path = MISTAKES_DIR / f"{name}.py"
    return runpy.run_path(str(path)).get("MISTAKES", {}) if path.exists() else {}


def spec_hash(name):
    path = MISTAKES_DIR / f"{name}.py"
    return hashlib.sha256(path.read_bytes() if path.exists() else b"").hexdigest()


def hints(name):
    """{mistake: hint} of the entries that carry one."""
    return {m: e["hint"].strip() for m, e in spec(name).items() if isinstance(e.get("hint"), str) and e["hint"].strip()}


def _cached(root, name, key):
    from nbgrader.api import Gradebook
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        records.ensure_tables(gb.db)
        row = gb.db.execute(text("SELECT mistakes_key, signatures FROM course_mistake WHERE assignment = :a"),
                            {"a": name}).fetchone()
        gb.db.commit()
    return json.loads(row[1]) if row and row[0] == key else None


def _store(root, name, key, signatures):
    from nbgrader.api import Gradebook
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        records.ensure_tables(gb.db)
        gb.db.execute(text(
            "INSERT INTO course_mistake (assignment, mistakes_key, signatures) VALUES (:a, :k, :s) "
            "ON CONFLICT (assignment) DO UPDATE SET mistakes_key = excluded.mistakes_key, signatures = excluded.signatures"),
            {"a": name, "k": key, "s": json.dumps(signatures, sort_keys=True)})
        gb.db.commit()


def mistake_signatures(root, name, settings=None, out=print):
    """{mistake: {test: signature}} of every known mistake of `name`, run once in a sandbox like a
    student's notebook against the cached reference; cached until the tests, the environment, the
    hidden sets or the mistakes file change. {} when the assignment has no mistakes file."""
    from . import bwrap, fanout, prepare, reference, work
    from . import outcome as heldout
    from .settings import Settings
    entries = spec(name)
    if not entries:
        return {}
    root = Path(root).resolve()
    held = heldout.load(root, name)
    ref_key = reference.key(root, name, held.fingerprint)
    key = hashlib.sha256(f"{ref_key}\0{spec_hash(name)}".encode()).hexdigest()
    found = _cached(root, name, key)
    if found is not None:
        return found
    ref = reference.load(root, name, ref_key)
    if ref is None:
        raise course.GradingError(f"no reference for {name} under the current tests: run `make grade A={name}` first")
    ref = heldout.attach(ref, held)
    settings = settings or Settings(sandbox=bwrap.available())   # the instructor's own code
    out(f"running the {len(entries)} known mistakes of {name} once (cached afterwards)")
    files = {**prepare.input_files(root / "source" / name), **held.files()}
    source = reference.source_notebooks(root, name)
    run_dir = work.make_run_dir(settings.scratch)
    pool = fanout.LocalPool(settings.workers, work.worker_init)
    found = {}
    try:
        futures = {}
        for mistake, entry in entries.items():
            nbs = {nb: dict(data, cells=[dict(c, source=entry["code"]) if cells.grade_id(c) == entry["cell"]
                                         and cells.is_answer(c) else c for c in data["cells"]])
                   for nb, data in source.items()}
            futures[pool.submit(work.execute, str(root), nbs, files, settings, str(run_dir))] = mistake
        for future in pool.as_completed(futures):
            found[futures[future]] = observed.failures(future.result().notebooks, ref)
    finally:
        pool.shutdown()
        shutil.rmtree(run_dir, ignore_errors=True)
    _store(root, name, key, found)
    return found


@dataclass
class Cluster:
    test: str
    signature: dict
    students: list
    mistakes: list = field(default_factory=list)   # the known mistakes that fail this test the same way

    @property
    def how(self):
        s = self.signature
        where = f"check {s['at'] + 1} ({s['check']})" if s.get("check") else \
            (f"check {s['at'] + 1}" if s.get("at") is not None else "the cell")
        return f"{where}: {s.get('why')}"


def cluster(failures, tests, known=None):
    """[Cluster] of every failing test (`tests` in notebook order), largest first: students whose
    signatures are the same within tolerance (observed.same) share a cluster. `failures` is
    {student: {test: signature}}, `known` {mistake: {test: signature}}."""
    found = []
    for order, test in enumerate(tests):
        groups = []
        for student in sorted(failures):
            sig = failures[student].get(test)
            if sig is None:
                continue
            for group in groups:
                if observed.same(group.signature, sig):
                    group.students.append(student)
                    break
            else:
                groups.append(Cluster(test, sig, [student]))
        for group in groups:
            group.mistakes = sorted(m for m, sigs in (known or {}).items()
                                    if test in sigs and observed.same(sigs[test], group.signature))
            found.append((order, group))
    return [g for _, g in sorted(found, key=lambda p: (-len(p[1].students), p[0]))]


def matching(failed, known, entries, checks=None):
    """The known mistakes whose signature a student's failures ({test: signature}) match: on
    every test the entry lists as failing, the same way, and no other test of the same answer
    cell failed (`checks`: {answer cell: its tests}, as `answer_cells` finds them; tests the entry
    may fail by luck aside); the most specific ones only."""
    hits = {}
    for mistake, sigs in known.items():
        entry = entries.get(mistake, {})
        listed = set(entry.get("fails", ())) & set(sigs)
        same_cell = (set((checks or {}).get(entry.get("cell"), ())) | listed) - set(entry.get("may_fail", ()))
        if listed and {t for t in failed if t in same_cell} == listed \
                and all(observed.same(failed[t], sigs[t]) for t in listed):
            hits[mistake] = listed
    return sorted(m for m, tests in hits.items() if not any(tests < other for other in hits.values()))


def hints_for(failed, known, entries, tests, checks=None):
    """{test: [hint]} for one student's failures: each matching mistake's hint under the first
    (in notebook order) of the tests it fails; none where two matches that fail the same tests
    carry different hints, none for a mistake seen only in outcome tests."""
    hits = matching(failed, known, entries, checks)
    hint_of = {m: entries[m]["hint"].strip() if isinstance(entries[m].get("hint"), str) else "" for m in hits}
    listed_of = {m: sorted(set(entries[m].get("fails", ())) & set(known[m]), key=tests.index) for m in hits}
    out = {}
    for mistake in hits:
        hint, listed = hint_of[mistake], listed_of[mistake]
        if not hint or all(known[mistake][t].get("why") == "outcome" for t in listed):
            continue
        if any(listed_of[m] == listed and hint_of[m] != hint for m in hits if m != mistake):
            continue   # two mistakes the observations cannot tell apart: no hint rather than a wrong one
        if hint not in out.get(listed[0], []):
            out.setdefault(listed[0], []).append(hint)
    return out


def checks_of(root, name):
    """{answer cell grade_id: {its tests}} (the tests below it, before the next answer cell)."""
    out = {}
    for test, (_, answer) in answer_cells(root, name).items():
        out.setdefault(answer, set()).add(test)
    return out


def answer_cells(root, name):
    """{test grade_id: (notebook, the answer cell's grade_id it checks)}: the nearest answer
    cell above each test cell in the instructor's notebook."""
    import nbformat
    out = {}
    for path in sorted((Path(root) / "source" / name).glob("*.ipynb")):
        answer = None
        for cell in nbformat.read(path, as_version=4).cells:
            if cells.is_answer(cell):
                answer = cells.grade_id(cell)
            elif cells.is_test(cell):
                out[cells.grade_id(cell)] = (path.stem, answer)
    return out


def starter_cells(root, name):
    """{answer cell grade_id: its starter code} (release/)."""
    import nbformat
    return {cells.grade_id(c): c.source for path in sorted((Path(root) / "release" / name).glob("*.ipynb"))
            for c in nbformat.read(path, as_version=4).cells if cells.is_answer(c)}


def answer_source(root, name, student, notebook, cell_id):
    """A student's answer cell, as submitted ('' when it cannot be read)."""
    try:
        with open(Path(root) / "submitted" / student / name / f"{notebook}.ipynb", encoding="utf-8") as f:
            nb = json.load(f)
        for cell in nb.get("cells", []):
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell_id:
                source = cell.get("source", "")
                return "".join(source) if isinstance(source, list) else str(source)
    except (OSError, ValueError, AttributeError):
        pass
    return ""


def hints_for_class(root, name, settings=None, out=print):
    """{(student, test): [hint]} of every graded student of `name`; {} without a running a kernel
    when no known mistake of the assignment carries a hint."""
    from nbgrader.api import Gradebook
    from . import analytics
    entries = spec(name)
    if not any(isinstance(e.get("hint"), str) and e["hint"].strip() for e in entries.values()):
        return {}
    known = mistake_signatures(root, name, settings, out=out)
    api = course.nbgrader_api(root)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        seen = observed.read(gb.db, name)
        gb.db.commit()
    tests = [t for _, t in analytics.test_order(root, name)]
    checks = checks_of(root, name)
    found = {}
    for student, (_, failed) in seen.items():
        for test, given in hints_for(failed, known, entries, tests, checks).items():
            found[(student, test)] = given
    return found
