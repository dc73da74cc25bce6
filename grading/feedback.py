"""Feedback that never shows hidden tests.

nbgrader's feedback shows the autograded notebook, whose test cells hold the hidden tests again
(it restores them to grade), and their tracebacks quote the failing hidden lines. This
preprocessor, listed in nbgrader_config.py's GenerateFeedback.preprocessors, rewrites each
autograded test cell of the feedback copy: the hidden region becomes one comment, a traceback
becomes its last line (the exception and its message), and other outputs of the cell, which
could echo hidden inputs, are dropped. The gradebook and autograded/ keep everything.
"""
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
PLACEHOLDER = "# (hidden tests: the grader ran more checks here)"


def strip_hidden(source):
    """Return `source` with every BEGIN/END HIDDEN TESTS region replaced by one comment line."""
    out, hidden = [], False
    for line in source.splitlines():
        if line.strip().startswith(BEGIN):
            hidden = True
            out.append(line[: len(line) - len(line.lstrip())] + PLACEHOLDER)
        elif line.strip().startswith(END):
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def short_error(output):
    """Return an error output reduced to 'Name: message', without the traceback's code lines."""
    message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
    output["traceback"] = [message]
    return output


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, their tracebacks and their echoed output from feedback."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.source = strip_hidden(cell.source)
            cell.outputs = [short_error(o) for o in cell.outputs if o.get("output_type") == "error"]
        return cell, resources
