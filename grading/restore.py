"""nbgrader's restoring and checking of a submission's graded cells, read once per run.

`make grade` prepares each submission in the grading process with nbgrader's own preprocessors,
beside the workers. Three of them cost more than a pre-imported kernel's whole start:
`OverwriteCells` runs several SQL queries for every graded cell of every student (57 ms a
notebook of assignment 1), and `CheckCellMetadata` checks nbgrader's JSON schema itself once for
every cell before it checks the cell (63 ms), and `OverwriteKernelspec` opens a gradebook of its
own for every notebook (35 ms). Here `Snapshot` reads the gradebook's copy of an assignment's
cells and kernelspecs once per run and answers the queries `OverwriteCells` and
`OverwriteKernelspec` make, and the schema is checked once per process. What is restored and
what is refused is nbgrader's code, unchanged.
"""
import contextlib
import functools
import json
from types import SimpleNamespace

import jsonschema
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator, SchemaTooNewError, SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata, NbGraderPreprocessor, OverwriteCells

_SOURCE = ("name", "cell_type", "locked", "checksum", "source")


def _plain(cells, *fields):
    return [SimpleNamespace(**{f: getattr(c, f) for f in fields}) for c in cells]


class Snapshot:
    """The gradebook's record of one assignment's notebooks and cells, as plain values, with the
    `find_*` methods `OverwriteCells` calls on a Gradebook (same answers, same `MissingEntry`)."""

    def __init__(self, db_url, course_id, assignment, gb=None):
        self.assignment = assignment
        self.notebooks = {}
        with (Gradebook(db_url, course_id) if gb is None else contextlib.nullcontext(gb)) as gb:
            for nb in gb.find_assignment(assignment).notebooks:
                self.notebooks[nb.name] = SimpleNamespace(
                    source_cells=_plain(nb.source_cells, *_SOURCE),   # in the gradebook's order
                    grade_cells=_plain(nb.grade_cells, "name", "max_score"),
                    solution_cells=_plain(nb.solution_cells, "name"),
                    task_cells=_plain(nb.task_cells, "name", "max_score"),
                    kernelspec=json.loads(nb.kernelspec) if nb.kernelspec else None)

    @classmethod
    def of(cls, course, assignment):
        """The snapshot of `assignment`, read through the run's Course (grading/gradebook.py)."""
        with course.gradebook() as gb:
            return cls(course.db_url, course.course_id, assignment, gb)

    def find_notebook(self, name, assignment):
        if assignment != self.assignment or name not in self.notebooks:
            raise MissingEntry(f"No such notebook: {assignment}/{name}")
        return self.notebooks[name]

    def find_source_cell(self, name, notebook, assignment):
        for cell in self.find_notebook(notebook, assignment).source_cells:
            if cell.name == name:
                return cell
        raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}")

    def find_graded_cell(self, name, notebook, assignment):
        nb = self.find_notebook(notebook, assignment)
        for cell in nb.grade_cells + nb.task_cells:   # a grade cell first, as nbgrader looks
            if cell.name == name:
                return cell
        raise MissingEntry(f"No such grade cell: {assignment}/{notebook}/{name}")


class RestoreCells(OverwriteCells):
    """`OverwriteCells` answered from a `Snapshot` instead of a database connection per notebook."""

    def __init__(self, snapshot, **kwargs):
        super().__init__(**kwargs)
        self.snapshot = snapshot

    def preprocess(self, nb, resources):   # OverwriteCells.preprocess, with the snapshot
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.gradebook = self.snapshot
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class RestoreKernelspec(NbGraderPreprocessor):
    """`OverwriteKernelspec` answered from a `Snapshot`: the source notebook's kernelspec, when the
    gradebook has one, replaces the submission's (nbgrader's opens a gradebook for every notebook)."""

    def __init__(self, snapshot, **kwargs):
        super().__init__(**kwargs)
        self.snapshot = snapshot

    def preprocess(self, nb, resources):
        kernelspec = self.snapshot.find_notebook(resources["nbgrader"]["notebook"],
                                                 resources["nbgrader"]["assignment"]).kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = kernelspec
        return nb, resources


class _SchemaOnce(BaseMetadataValidator):
    def __init__(self):
        super().__init__()   # reads the schema
        cls = jsonschema.validators.validator_for(self.schema)
        cls.check_schema(self.schema)   # once, where jsonschema.validate checks it for every cell
        self.checked = cls(self.schema)

    def validate_cell(self, cell):   # BaseMetadataValidator.validate_cell with the checked schema
        if "nbgrader" not in cell.metadata:
            return
        version = cell.metadata["nbgrader"].get("schema_version", 0)
        if version < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        if version > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        error = jsonschema.exceptions.best_match(self.checked.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class _Validator(MetadataValidator, _SchemaOnce):
    """nbgrader's metadata validator: its own checks, after the schema (`super()` is `_SchemaOnce`)."""


@functools.cache
def _validator():
    return _Validator()   # stateless: one per process, not one per notebook


class CheckMetadata(CheckCellMetadata):
    """`CheckCellMetadata` with the schema checked once per process."""

    def preprocess(self, nb, resources):
        try:
            _validator().validate_nb(nb)
        except ValidationError as err:
            raise ValidationError("Notebook failed to validate; the nbgrader metadata may be corrupted.") from err
        return nb, resources
