"""`make grade` prepares submissions with grading/restore.py: nbgrader's OverwriteCells answered
from a snapshot of the gradebook read once per run (as is its OverwriteKernelspec), and its
CheckCellMetadata with the schema checked once. All three must do exactly what nbgrader's own preprocessors do, on honest and tampered
submissions of every assignment: the same restored notebook, or the same refusal."""
import copy
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import CheckCellMetadata, OverwriteCells, OverwriteKernelspec

from conftest import ASSIGNMENTS
from grading import cells, course, demo, prepare, restore
from grading.gradebook import Course


def graded(nb):
    return [c for c in nb.cells if cells.grade_id(c)]


def locked(nb):
    return [c for c in graded(nb) if c.metadata.nbgrader.get("locked")]


def tampered(release_nb, source_nb):
    """(what, notebook) pairs: honest copies and the tamperings a submission can try."""
    out = [("untouched", release_nb), ("solved", demo.fill(release_nb, demo.solution_cells(source_nb)))]

    def variant(what, change):
        nb = copy.deepcopy(release_nb)
        change(nb)
        out.append((what, nb))

    def set_meta(key, value, cells_of=locked):
        return lambda nb: [c.metadata.nbgrader.__setitem__(key, value) for c in cells_of(nb)[:2]]

    variant("graded cells deleted", lambda nb: setattr(nb, "cells", [c for c in nb.cells if c not in graded(nb)]))
    variant("every other graded cell deleted",
            lambda nb: setattr(nb, "cells", [c for c in nb.cells if c not in graded(nb)[::2]]))
    variant("locked cells edited", lambda nb: [setattr(c, "source", c.source + "\npass") for c in locked(nb)])
    variant("points raised", set_meta("points", 99, lambda nb: [c for c in graded(nb) if "points" in c.metadata.nbgrader]))
    variant("unlocked", set_meta("locked", False))
    variant("cell type changed", lambda nb: [setattr(c, "cell_type", "markdown") or c.pop("outputs", None)
                                             or c.pop("execution_count", None) for c in locked(nb)[:1]])
    variant("unknown grade id", set_meta("grade_id", "not-in-the-gradebook"))
    variant("duplicate grade id", lambda nb: nb.cells.append(copy.deepcopy(graded(nb)[0])))
    variant("schema too new", set_meta("schema_version", 99))
    variant("schema too old", set_meta("schema_version", 1))
    variant("points not a number", set_meta("points", "many", lambda nb: [c for c in graded(nb) if c.metadata.nbgrader.get("grade")]))
    variant("grade flag a string", set_meta("grade", "yes"))
    variant("extra metadata key", set_meta("secret", 1))
    variant("kernelspec changed", lambda nb: nb.metadata.__setitem__(
        "kernelspec", {"name": "evil", "display_name": "Evil", "language": "python", "argv": ["sh"]}))
    variant("kernelspec removed", lambda nb: nb.metadata.pop("kernelspec", None))
    variant("grade cell without points", lambda nb: [c.metadata.nbgrader.pop("points", None)
                                                     for c in [c for c in graded(nb) if c.metadata.nbgrader.get("grade")][:1]])
    return out


def run(preprocessors, nb, resources):
    nb = copy.deepcopy(nb)
    try:
        for pp in preprocessors:
            nb, resources = pp.preprocess(nb, resources)
    except Exception as err:
        return ("refused", type(err).__name__, str(err).splitlines()[0])
    for i, cell in enumerate(nb.cells):
        cell.setdefault("id", f"added-{i}")   # a cell added back has no id; writing would draw one
    return ("prepared", nbformat.writes(nb))


@pytest.fixture(scope="module")
def course_root(tmp_path_factory, gradebook):
    return demo.make_course(tmp_path_factory.mktemp("restore") / "course", ASSIGNMENTS, gradebook=gradebook)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_restoring_from_the_snapshot_is_nbgraders_restoring(course_root, name):
    api = course.nbgrader_api(course_root)
    snapshot = restore.Snapshot(api.coursedir.db_url, api.coursedir.course_id, name)
    kinds = set()
    for filename, source_nb, release_nb in demo.notebooks(course_root, name):
        resources = prepare._resources(Course(course_root), name, "s", Path(filename).stem)
        for what, nb in tampered(release_nb, source_nb):
            theirs = run([OverwriteKernelspec(), OverwriteCells(config=api.coursedir.config, add_missing_cells=True),
                          CheckCellMetadata()], nb, resources)
            ours = run([restore.RestoreKernelspec(snapshot),
                        restore.RestoreCells(snapshot, config=api.coursedir.config, add_missing_cells=True),
                        restore.CheckMetadata()], nb, resources)
            assert ours == theirs, f"{name}, {what}"
            kinds.add(theirs[0])
    assert kinds == {"prepared", "refused"}   # the cases reach both outcomes


def test_the_snapshot_answers_unknown_names_as_the_gradebook_does(course_root):
    api = course.nbgrader_api(course_root)
    name = ASSIGNMENTS[0]
    snapshot = restore.Snapshot(api.coursedir.db_url, api.coursedir.course_id, name)
    (filename, _, _), = demo.notebooks(course_root, name)
    notebook = Path(filename).stem
    for call in (lambda: snapshot.find_notebook("nope", name), lambda: snapshot.find_notebook(notebook, "other"),
                 lambda: snapshot.find_source_cell("nope", notebook, name),
                 lambda: snapshot.find_graded_cell("nope", notebook, name)):
        with pytest.raises(MissingEntry):
            call()


def test_the_student_copy_s_order_is_read_once_per_version_of_its_file(tmp_path, monkeypatch):
    """prepare puts graded cells in the order of the student copy (release/), read once per version
    of that file for the whole class, not once per student; a changed copy is read again."""
    import os
    path = tmp_path / "a.ipynb"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade_id": grade_id}}) for grade_id in ("a", "b")])
    nbformat.write(nb, path)
    reads, real = [], nbformat.read
    monkeypatch.setattr(prepare.nbformat, "read", lambda *args, **kw: reads.append(args) or real(*args, **kw))
    assert [prepare.release_order(path) for _ in range(3)] == [("a", "b")] * 3
    assert len(reads) == 1
    nb.cells.reverse()
    nbformat.write(nb, path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert prepare.release_order(path) == ("b", "a") and len(reads) == 2
    assert prepare.release_order(tmp_path / "missing.ipynb") is None
