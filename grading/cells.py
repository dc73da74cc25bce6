"""What a cell is, written once: test cells, answer cells, grade ids and hidden regions.

Imported by the grader, the feedback preprocessor, the demo class and the tests alike.
"""
import nbformat
from nbgrader import utils

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def is_test(cell):
    """An autograded test cell (graded, not an answer)."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def is_answer(cell):
    return utils.is_solution(cell)


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
