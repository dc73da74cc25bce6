"""Run an instructor notebook's code cells in this process, with some answer cells replaced.

Used by tests/test_mistakes.py to check, in one process and without a kernel per case, that each
typical wrong answer fails exactly the test cells it should. A test cell fails as nbgrader would
fail it: an exception, or a warning printed to stderr.
"""
import contextlib
import os
import warnings

_QUIET = (DeprecationWarning, PendingDeprecationWarning)


@contextlib.contextmanager
def _cwd(path):
    old = os.getcwd()
    if path is not None:
        os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_cells(nb, answers=None, cwd=None):
    """Execute `nb`'s code cells in order in a fresh namespace; answer cells named in `answers`
    ({grade_id: source}) are replaced. Return {test grade_id: '' if it passed, else why not}."""
    import matplotlib
    matplotlib.use("Agg")  # plots in assignments must not need a display here
    answers = answers or {}
    namespace = {"__name__": "__main__"}
    results = {}
    with _cwd(cwd):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            grade_id = meta.get("grade_id", f"cell {index}")
            source = answers.get(grade_id, cell.source) if meta.get("solution") else cell.source
            error = ""
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    exec(compile(source, f"<{grade_id}>", "exec"), namespace)
                except Exception as err:  # a student's error, whatever its type, fails the cell
                    error = f"{type(err).__name__}: {err}"
            loud = [w for w in caught if not issubclass(w.category, _QUIET)]
            if not error and loud:
                error = f"warning: {loud[0].category.__name__}: {loud[0].message}"
            if meta.get("grade") and not meta.get("solution"):
                results[grade_id] = error
    return results
