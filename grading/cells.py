"""What a cell is, written once: test cells, answer cells, grade ids and hidden regions.

Imported by the grader, the feedback preprocessor, the demo class and the tests alike.
"""
import nbformat

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


# nbgrader.utils' is_grade and is_solution, read the same way: importing nbgrader (its package
# loads its server extensions) costs every grading worker 0.7 s, and these are all they need of it.
def _flag(cell, name):
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get(name, False))


def is_test(cell):
    """An autograded test cell (graded, not an answer)."""
    return cell.cell_type == "code" and _flag(cell, "grade") and not _flag(cell, "solution")


def is_answer(cell):
    """An answer cell (nbgrader's solution cell)."""
    return _flag(cell, "solution")


def grade_id(cell):
    """The cell's nbgrader grade id, or None."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def error_output(ename, evalue):
    """An error output, as the grader adds one to a cell (a verdict, a cap, a cell not run)."""
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def test_cells(nb):
    return [c for c in nb.cells if is_test(c)]


def split_hidden(source):
    """Return (visible lines, hidden lines) of a test cell's source."""
    visible, hidden, inside = [], [], False
    for line in source.splitlines():
        if line.strip().startswith(BEGIN):
            inside = True
        elif line.strip().startswith(END):
            inside = False
        else:
            (hidden if inside else visible).append(line)
    return visible, hidden
