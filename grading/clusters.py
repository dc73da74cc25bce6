"""The class's common mistakes: students whose failing tests failed the same way, grouped, and
named when a known mistake fails the same way; the hints those students get.

For each failing test, students are grouped by the signature grading/observed.py recorded (the
same check, the same kind of difference, the same values within the check's tolerance). A group
is named after the known mistakes of tests/mistakes/<assignment>.py whose own run fails that test
the same way: each entry is run once through the same tests, in a sandbox as a student's
notebook is (its answer cell in place of the solution's), and its signatures are cached in the
gradebook beside the reference, each entry under the reference's key and its own cell and code
(a changed hint or list of failures runs nothing; a new or changed entry runs alone).

Who runs them: `make grade`, on its own workers (their kernels' zygotes warm) once the students
are done, when asked (`Settings.mistakes`) or once a report or feedback has used this
assignment's mistakes (`refresh`); else the first report or feedback that needs them
(`mistake_signatures`, on a pool of its own).

Hints: an entry may carry a "hint", a sentence the instructor wrote for a student who made that
mistake (what to look at, never the answer, a hidden input or an expected value). A student gets
it, under the failing test, when their failures match the entry's signature on every test the
entry fails; only the most specific matches count, a match two entries with different hints
share is ambiguous and gives none, and an entry that fails outcome tests only (a bar missed,
which many different mistakes do) gives none. An entry without a hint gives none.
"""
import dataclasses
import hashlib
import json
import runpy
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from . import cells, course, observed, records
from .gradebook import Course, course_of

MISTAKES_DIR = course.REPO / "tests" / "mistakes"


def spec(name):
    """The MISTAKES of tests/mistakes/<name>.py ({} when there is no such file)."""
    path = MISTAKES_DIR / f"{name}.py"
    return runpy.run_path(str(path)).get("MISTAKES", {}) if path.exists() else {}


def hinted(entries):
    """The entries ({mistake: entry}) that carry a hint."""
    return {m: e for m, e in entries.items() if isinstance(e.get("hint"), str) and e["hint"].strip()}


def hints(name):
    """{mistake: hint} of the entries that carry one."""
    return {m: e["hint"].strip() for m, e in hinted(spec(name)).items()}


def entry_key(ref_key, entry):
    """The cache key of one entry's run: the reference's key (the tests, the environment, the hidden
    sets: grading/reference.py) and what the entry runs, its answer cell and code; its name, hint and
    listed failures change nothing that runs."""
    return hashlib.sha256("\0".join((ref_key, entry["cell"], entry["code"])).encode()).hexdigest()


def _row(course_, name):
    """(reference key, {entry key: signatures}) of the cache row of `name`, or None."""
    with course_of(course_).gradebook() as gb:
        records.ensure_tables(gb.db)
        row = gb.db.execute(text("SELECT mistakes_key, signatures FROM course_mistake WHERE assignment = :a"),
                            {"a": name}).fetchone()
        gb.db.commit()
    return (row[0], json.loads(row[1])) if row else None


def _cached(course_, name, ref_key):
    """{entry key: signatures} cached under the reference key `ref_key` ({} when none is)."""
    row = _row(course_, name)
    return row[1] if row and row[0] == ref_key and isinstance(row[1], dict) else {}


def _store(course_, name, ref_key, signatures):
    """Cache {entry key: signatures} under `ref_key` (replacing what another key held)."""
    with course_of(course_).gradebook() as gb:
        records.ensure_tables(gb.db)
        gb.db.execute(text(
            "INSERT INTO course_mistake (assignment, mistakes_key, signatures) VALUES (:a, :k, :s) "
            "ON CONFLICT (assignment) DO UPDATE SET mistakes_key = excluded.mistakes_key, signatures = excluded.signatures"),
            {"a": name, "k": ref_key, "s": json.dumps(signatures, sort_keys=True)})
        gb.db.commit()


def lookup(course_, name, ref_key, entries):
    """({mistake: signatures} of the `entries` cached under `ref_key`, {mistake: entry} to run)."""
    cached = _cached(course_, name, ref_key)
    known, todo = {}, {}
    for mistake, entry in entries.items():
        key = entry_key(ref_key, entry)
        if key in cached:
            known[mistake] = cached[key]
        else:
            todo[mistake] = entry
    return known, todo


def _keep(course_, name, ref_key, entries, found):
    """Cache the signatures of the current `entries` ({mistake: signatures} in `found`, merged with
    what is cached under `ref_key`); the entries no longer in the file are dropped."""
    signatures = _cached(course_, name, ref_key)
    signatures.update({entry_key(ref_key, entries[m]): sigs for m, sigs in found.items()})
    current = {entry_key(ref_key, e) for e in entries.values()}
    _store(course_, name, ref_key, {k: v for k, v in signatures.items() if k in current})


def _run(pool, root, name, todo, ref, files, settings, run_dir):
    """Run each entry of `todo` on `pool` (work.execute, as a student's notebook); return
    ({mistake: signatures}, {mistake: the error of a run the grader itself failed})."""
    from . import reference, work
    source = reference.source_notebooks(root, name)
    futures = {}
    for mistake, entry in todo.items():
        nbs = {nb: dict(data, cells=[dict(c, source=entry["code"]) if cells.grade_id(c) == entry["cell"]
                                     and cells.is_answer(c) else c for c in data["cells"]])
               for nb, data in source.items()}
        futures[pool.submit(work.execute, str(root), nbs, files, settings, run_dir, "mistake")] = mistake
    found, failed = {}, {}
    for future in pool.as_completed(futures):
        try:
            executed = future.result()
        except Exception as err:   # the grader's failure (a worker lost): not cached, run next time
            if _stopped(err):
                raise
            failed[futures[future]] = err
            continue
        found[futures[future]] = observed.failures(executed.notebooks, ref)
    return found, failed


def _stopped(err):
    """Whether `err` is Ctrl-C or SIGTERM stopping `make grade` (grading/run.py), never swallowed."""
    from .run import Interrupted
    return isinstance(err, Interrupted)


def mistake_signatures(root, name, settings=None, out=print):
    """{mistake: {test: signature}} of every known mistake of `name`, run once in a sandbox like a
    student's notebook against the cached reference; each entry cached until the tests, the
    environment, the hidden sets or its own code change (`make grade` may have run them already:
    `refresh`). {} when the assignment has no mistakes file."""
    entries = spec(name)
    if not entries:
        return {}
    with Course(root) as this:
        return _signatures(this, name, entries, settings, out)


def _signatures(this, name, entries, settings, out):
    """`mistake_signatures` with the Course `this`."""
    from . import bwrap, fanout, launcher, prepare, reference, work
    from . import outcome as heldout
    from .settings import Settings
    root = this.root
    held = heldout.load(root, name)
    ref_key = reference.key(root, name, held.fingerprint)
    known, todo = lookup(this, name, ref_key, entries)
    if not todo:
        return known
    ref = reference.load(this, name, ref_key)
    if ref is None:
        raise course.GradingError(f"no reference for {name} under the current tests: run `make grade A={name}` first")
    ref = heldout.attach(ref, held)
    settings = settings or Settings(sandbox=bwrap.available())   # the instructor's own code
    settings = dataclasses.replace(settings, launcher=settings.launcher or launcher.choose(settings, out=lambda *_: None))
    out(f"running {len(todo)} of the {len(entries)} known mistakes of {name} once (cached afterwards)")
    files = {**prepare.input_files(root / "source" / name), **held.files()}
    run_dir = work.make_run_dir(settings.scratch)
    pool = fanout.LocalPool(min(settings.workers, len(todo)), work.worker_init)
    try:
        found, failed = _run(pool, root, name, todo, ref, files, settings, str(run_dir))
    finally:
        pool.shutdown()
        shutil.rmtree(run_dir, ignore_errors=True)
    _keep(this, name, ref_key, entries, found)
    if failed:
        raise course.GradingError(f"the grader could not run {len(failed)} known mistakes of {name} "
                                  f"({'; '.join(f'{m}: {e}' for m, e in sorted(failed.items()))}); run it again")
    return {**known, **found}


def refresh(course_, name, ref_key, ref, pool, files, settings, run_dir, out=print, timings=None):
    """In `make grade` (grading/run.py), on its pool once the students are done: run the known
    mistakes of `name` not cached under `ref_key` (`ref`: the reference with its held-out targets,
    `files`: the notebooks' input files), when `settings.mistakes` asks or a report or feedback has
    used this assignment's mistakes before (a cache row of any key). Returns how many ran, and adds
    their seconds to `timings["mistakes"]`. The mistakes file is the instructor's: an error in it or
    a run the grader failed is said in `out` and left to the report, never the grading's failure."""
    started = time.perf_counter()
    try:
        entries = spec(name)
        if not entries or not (settings.mistakes or _row(course_, name) is not None):
            return 0
        todo = lookup(course_, name, ref_key, entries)[1]
        if not todo:
            return 0
        found, failed = _run(pool, course_.root, name, todo, ref, files, settings, run_dir)
        _keep(course_, name, ref_key, entries, found)
    except Exception as err:
        if _stopped(err):
            raise
        out(f"note: the known mistakes of {name} were not run ({type(err).__name__}: {err}); "
            f"the report runs them")
        return 0
    seconds = time.perf_counter() - started
    if timings is not None:
        timings["mistakes"] = timings.get("mistakes", 0.0) + seconds
    out(f"ran {len(found)} known {course.plural(len(found), 'mistake')} of {name} for the report and the hints "
        f"in {seconds:.1f} s" + (f"; {len(failed)} could not run, the report runs them" if failed else ""))
    return len(found)


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
    if not hinted(entries):
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
