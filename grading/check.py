"""Check my work: one student's notebook graded as `make grade` would grade it, before the
deadline, recorded nowhere but in the check log (grading/check_store.py), never as a grade.

The same steps as `make grade` (grading/run.py), in the same modules, with no second grading path:

1. prepare (grading/prepare.py, here, trusted): the notebook is written into a scratch copy of
   the course's layout (source/ and release/ linked, submitted/<student>/<assignment>/ holding
   only this notebook), and `prepare.prepare_one` sanitises it with nbgrader's preprocessors and
   the gradebook's copy of the cells, exactly as for a submission;
2. execute (grading/work.py, in a worker process): `work.execute`, in the bubblewrap sandbox with
   the same Settings (timeouts, caps) as the grader;
3. judge (grading/record.py's `apply_verdicts`, here): each test cell against the cached
   reference, the held-out targets attached in memory only; the points from `Verdict.points`;
   and, as in the feedback (grading/clusters.py), the instructor's hint of a known mistake the
   student's failures match, under the failing test. The known mistakes' signatures are those the
   grader cached (`make grade MISTAKES=1`, a report, or feedback with hints), read again at most
   once a minute; a check never runs them.

What comes back (`CheckResult`) is what the student's feedback would say of each test: its
points, and, for a failed one, the verdict's message (a hidden check's name and the kind of
difference, never its inputs or expected values); for an outcome test the metric reached (on
the worst hidden set, as the verdict states it) and the hints of a matching known mistake.
Nothing of the executed notebook is returned.
"""
import functools
import hashlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import cells, clusters, course, observed, prepare, record, reference, release, status, verdict, work
from . import outcome as heldout
from .settings import Settings
from .gradebook import Course


@dataclass(frozen=True)
class TestVerdict:
    """One autograded test as the grader judged it."""
    notebook: str
    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""          # a failed test's verdict, as the feedback shows it
    metric: str = ""           # an outcome test: the metric reached (worst hidden set)
    hints: tuple = ()          # the instructor's hints for a known mistake this failure matches


@dataclass(frozen=True)
class CheckResult:
    assignment: str
    student: str
    notebook_hash: str
    verdicts: list = field(default_factory=list)     # [TestVerdict], in the notebook's order
    problems: dict = field(default_factory=dict)     # {notebook: status line} (error, timeout, limit)

    @property
    def score(self):
        return round(sum(v.points for v in self.verdicts), 2)

    @property
    def max_score(self):
        return round(sum(v.max_points for v in self.verdicts), 2)

    def as_json(self):
        """The answer a student gets (JSON-ready): only the verdicts, nothing of the notebook."""
        return {"assignment": self.assignment, "notebook_hash": self.notebook_hash,
                "score": self.score, "max_score": self.max_score,
                "verdicts": [asdict(v) for v in self.verdicts], "problems": dict(self.problems)}


def notebook_hash(notebooks):
    """sha256 of the sent notebooks ({file name: bytes}), names included."""
    digest = hashlib.sha256()
    for name in sorted(notebooks):
        digest.update(len(name.encode()).to_bytes(4, "big") + name.encode())
        digest.update(hashlib.sha256(notebooks[name]).digest())
    return digest.hexdigest()


def notebook_files(root, name):
    """The notebook file names of assignment `name` (what a student may send)."""
    return sorted(p.name for p in (Path(root) / "source" / name).glob("*.ipynb"))


class Assignment:
    """What every check of one assignment needs, read once: the gradebook's snapshot of its cells,
    the files beside its notebooks, and the reference observations with the held-out targets."""

    KNOWN_TTL = 60.0   # seconds a read of the known mistakes' cached signatures is kept

    def __init__(self, root, name, api, ref, source_files, ref_key=""):
        from . import restore
        self.root, self.name, self.api = Path(root), name, api
        self.ref_key = ref_key
        self.entries = clusters.hinted(clusters.spec(name))
        self.checks = clusters.checks_of(self.root, name) if self.entries else {}
        self._known, self._known_at = {}, None
        self._known_lock = threading.Lock()
        self.snapshot = restore.Snapshot(api.coursedir.db_url, api.coursedir.course_id, name)
        self.ref, self.source_files = ref, source_files
        self.files = notebook_files(root, name)
        # {notebook: [(grade_id, points)]}: the autograded tests, from the instructor's notebooks
        self.tests = {}
        for filename in self.files:
            nb = nbformat.read(self.root / "source" / name / filename, as_version=4)
            self.tests[Path(filename).stem] = [(cells.grade_id(c), float(c.metadata.nbgrader.get("points", 0) or 0))
                                               for c in cells.test_cells(nb)]
        self.order = [grade_id for tests in self.tests.values() for grade_id, _ in tests]

    def known(self):
        """{mistake: signatures} of the hinted known mistakes the grader has cached under the
        current reference (read at most once every KNOWN_TTL seconds; {} when none is)."""
        if not self.entries or not self.ref_key:
            return {}
        with self._known_lock:
            if self._known_at is None or time.monotonic() - self._known_at > self.KNOWN_TTL:
                try:
                    self._known = clusters.lookup(self.root, self.name, self.ref_key, self.entries)[0]
                except Exception:   # no cache yet, a gradebook busy: checks go on without hints
                    self._known = {}
                self._known_at = time.monotonic()
            return self._known

    def hints(self, done):
        """{test grade_id: [hint]} for the executed notebooks `done`, as the feedback gives them."""
        known = self.known()
        if not known:
            return {}
        failed = observed.failures(done, self.ref)
        return clusters.hints_for(failed, known, self.entries, self.order, self.checks)


class Checker:
    """Checks notebooks of the course at `root` with `settings` (the grader's), on `pool` (a
    grading.fanout pool; one of `settings.workers` local workers is made when none is given).
    Thread-safe: the service calls `check` from several threads at once."""

    def __init__(self, root, settings=None, pool=None):
        from . import fanout
        self.root = Path(root).resolve()
        self.settings = settings or Settings()
        self.own_pool = pool is None
        self.pool = pool or fanout.LocalPool(self.settings.workers, work.worker_init)
        self.run_dir = work.make_run_dir(self.settings.scratch)
        self.lock = threading.Lock()
        self.assignments = {}

    @functools.cached_property
    def api(self):
        """nbgrader's API on the course, built at the first check: a hub starts its service before
        the course folder is set up (a fresh hub's course is empty), and must not die of it."""
        return course.nbgrader_api(self.root)

    def close(self):
        if self.own_pool:
            self.pool.shutdown()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def assignment(self, name):
        """The assignment's `Assignment`, made once (the reference run here if none is cached)."""
        with self.lock:
            if name not in self.assignments:
                if name not in course.assignments(self.root):
                    raise course.GradingError(f"no assignment {name!r}")
                release.ensure_in_gradebook(self.root, name)
                held = heldout.load(self.root, name)
                source_files = {**prepare.input_files(self.root / "source" / name), **held.files()}
                key = reference.key(self.root, name, held.fingerprint)
                ref = reference.load(self.root, name, key)
                if ref is None:
                    done, problems = self.pool.submit(
                        work.run_reference, str(self.root), reference.source_notebooks(self.root, name),
                        source_files, self.settings, str(self.run_dir)).result()
                    ref = reference.accept(self.root, name, key, done, problems, lambda: None, held)
                self.assignments[name] = Assignment(self.root, name, self.api, heldout.attach(ref, held),
                                                    source_files, key)
            return self.assignments[name]

    def submit(self, name, student, notebooks):
        """Prepare `notebooks` ({file name: bytes}) of `student` and send them to a worker; return
        (a future of work.execute's result or None, the prepared problems, Assignment, hash)."""
        a = self.assignment(name)
        digest = notebook_hash(notebooks)
        unknown = sorted(set(notebooks) - set(a.files))
        if unknown:
            raise course.GradingError(f"{name} has no notebook {unknown[0]!r} (its notebooks: {', '.join(a.files)})")
        scratch = Path(tempfile.mkdtemp(prefix="check-", dir=self.run_dir))
        try:
            for folder in ("source", "release"):
                (scratch / folder).mkdir()
                os.symlink(self.root / folder / name, scratch / folder / name)
            folder = scratch / "submitted" / student / name
            folder.mkdir(parents=True)
            for filename, data in notebooks.items():
                (folder / filename).write_bytes(data)
            on_scratch = Course(scratch)
            on_scratch.__dict__["api"] = self.api   # the course's own nbgrader API, on the scratch folder
            prepared = prepare.prepare_one(on_scratch, name, student, a.snapshot, ("", ""))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if not prepared.ready:
            return None, prepared.problems, a, digest
        future = self.pool.submit(work.execute, str(self.root), prepared.task(),
                                  a.source_files, self.settings, str(self.run_dir))
        return future, prepared.problems, a, digest

    def judge(self, a, student, digest, done, problems):
        """The CheckResult of the executed notebooks `done` ({notebook: nb})."""
        verdicts = []
        try:
            hints = a.hints(done)
        except Exception:   # a hint is a help, never a reason for a check to fail
            hints = {}
        for notebook, tests in a.tests.items():
            nb = done.get(notebook)
            if nb is None:   # not sent, or not gradable (its problem says why): no test earns points
                verdicts += [TestVerdict(notebook, grade_id, 0.0, maximum, False, "the notebook could not be graded")
                             for grade_id, maximum in tests]
                continue
            ref = a.ref.get(notebook, {})
            seen = {cells.grade_id(c): verdict.observations(c) for c in cells.test_cells(nb)}
            judged = record.apply_verdicts(nb, ref)
            for grade_id, maximum in tests:
                v = judged.get(grade_id)
                if v is None:
                    verdicts.append(TestVerdict(notebook, grade_id, 0.0, maximum, False, "the test cell is missing"))
                    continue
                verdicts.append(TestVerdict(notebook, grade_id, v.points(maximum), maximum, v.passed, v.message,
                                            outcome_reached(ref.get(grade_id, []), seen.get(grade_id)),
                                            () if v.passed else tuple(hints.get(grade_id, ()))))
        return CheckResult(a.name, student, digest, verdicts,
                           {k or "submission": str(p) for k, p in problems.items()})

    def check(self, name, student, notebooks):
        """Grade `notebooks` ({file name: bytes}) of `student` as `make grade` would; a CheckResult."""
        future, problems, a, digest = self.submit(name, student, notebooks)
        return self.finish(future, problems, a, student, digest)

    def finish(self, future, problems, a, student, digest):
        """Wait for `future` (from `submit`) and judge its notebooks."""
        done = {}
        if future is not None:
            try:
                executed = future.result()
                done, problems = executed.notebooks, {**problems, **executed.problems}
            except Exception as err:   # the grader's own failure: said, never the student's score
                problems = {**problems, "": status.error(f"the checker failed: {type(err).__name__}: {err}")}
        return self.judge(a, student, digest, done, problems)


def outcome_reached(expected, got):
    """What an outcome test's verdict says of the metric reached, for a passed test too:
    'accuracy 0.912 on the worst of 3 hidden sets' (never a target); '' for other tests."""
    got = got or []
    said = []
    for index, ref in enumerate(expected):
        if ref.get("fn") != heldout.FN or ref.get("targets") is None or index >= len(got):
            continue
        value = got[index].get("value") if isinstance(got[index], dict) else None
        items = value.get("items") if isinstance(value, dict) and value.get("kind") == "seq" else None
        if not isinstance(items, list) or len(items) != len(ref["targets"]):
            continue
        reached = [heldout.metric_value(ref["metric"], item.get("values") if isinstance(item, dict) else None, want)
                   for item, want in zip(items, ref["targets"])]
        if any(r is None for r in reached):
            continue
        higher = heldout.METRICS[ref["metric"]][1]
        if ref.get("over", "worst") == "mean":
            said.append(f"{ref['metric']} {sum(reached) / len(reached):.3f} on average over {len(reached)} hidden sets")
        else:
            worst = min(reached) if higher else max(reached)
            said.append(f"{ref['metric']} {worst:.3f} on the worst of {len(reached)} hidden sets")
    return "; ".join(said)
