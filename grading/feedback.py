"""Feedback that never shows hidden tests.

nbgrader's feedback shows the autograded notebook, whose test cells hold the hidden tests again
(it restores them to grade), and their tracebacks quote the failing hidden lines. This
preprocessor, listed in nbgrader_config.py's GenerateFeedback.preprocessors, rewrites each
autograded test cell of the feedback copy: the hidden region becomes one comment; the cell shows
only the grader's verdict on a failed test (`make grade` writes it as a `TestFailed` error: the
check's message, and for a hidden check only its name and the kind of difference), or, for
notebooks graded by plain nbgrader, the last line of each traceback; other outputs of the cell,
which could echo hidden inputs, are dropped. The gradebook and autograded/ keep everything.
"""
import html
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from . import submission
from .course import GradingError, check_result, in_dir, nbgrader_api, require_class
from .grades import load_status

from .cells import BEGIN, END, grade_id, is_test
from .verdict import FAILED
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


def hint_output(hint):
    """The output that shows an instructor's hint under a failing test (grading/clusters.py)."""
    import nbformat
    return nbformat.v4.new_output("display_data", data={
        "text/plain": f"Hint: {hint}",
        "text/html": f"<div class='course-hint'><strong>Hint:</strong> {html.escape(hint)}</div>"})


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, their tracebacks and their echoed output from feedback; add the
    instructor's hints under the failing tests they are for (`hints`, set by `generate`)."""

    hints = {}   # {(student, test grade_id): [hint]} of the run of `generate` under way

    def preprocess_cell(self, cell, resources, cell_index):
        if is_test(cell):
            cell.source = strip_hidden(cell.source)
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            verdicts = [o for o in errors if o.get("ename") == FAILED]   # written by `make grade`
            cell.outputs = [short_error(o) for o in verdicts or errors]
            student = resources.get("nbgrader", {}).get("student")
            if cell.outputs:
                cell.outputs += [hint_output(h) for h in self.hints.get((student, grade_id(cell)), ())]
        return cell, resources


# What a student can do about each reason a notebook could not be graded.
ADVICE = (
    ("missing notebook", "Submit the notebook under the name the assignment gave it (do not rename "
     "it), inside the assignment's folder."),
    ("valid JSON", "The file is not a complete notebook: it was probably cut off while saving, or "
     "edited outside Jupyter. Open it in JupyterLab; if it does not open, fetch a fresh copy of the "
     "assignment, paste your answers back in, save, and submit again."),
    ("not a notebook", "The file is not a Jupyter notebook. Submit the .ipynb file you worked in."),
    ("not a valid notebook", "The notebook's structure is damaged. Fetch a fresh copy of the "
     "assignment, paste your answers back in, save, and submit again."),
    ("no cells", "The notebook is empty. Submit the notebook with your answers in it."),
    ("larger than", "The notebook is too large: clear its outputs (Edit > Clear Outputs of All "
     "Cells), save, and submit again."),
    ("what is not a file", "Your submission held a link, a pipe or a device, which the grader never "
     "reads. Submit only the assignment's notebook (and the files the assignment gave you)."),
    ("timestamp.txt", "The time of your submission could not be read: ask your instructor to "
     "collect it again."),
    ("the grader takes at most", "The notebook has far more cells than the assignment: delete the "
     "cells you added (or paste your answers into a fresh copy), save, and submit again."),
    ("could not be prepared", "The notebook's grading cells were damaged. Fetch a fresh copy of "
     "the assignment, paste your answers back in, save, and submit again."),
)


def advice(status):
    """Return what the student should do about `status` (a grader's status line)."""
    for key, text in ADVICE:
        if key in status:
            return text
    return "Ask your instructor: the grader could not run this notebook."


def write_problem_page(path, assignment, notebook, status):
    """Write the feedback page of a notebook that could not be graded: why, and what to do."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    esc = html.escape
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{esc(assignment)}: {esc(notebook)}</title></head>\n<body style='font-family: sans-serif; max-width: 45em'>\n"
        f"<h1>{esc(assignment)} / {esc(notebook)}.ipynb could not be graded</h1>\n"
        f"<p><strong>Why:</strong> {esc(status)}</p>\n"
        f"<p><strong>What to do:</strong> {esc(advice(status))}</p>\n"
        "<p>No autograded points were given for this notebook.</p>\n</body></html>\n")


def generate(root, name, hints=False):
    """Generate HTML feedback for every graded student of `name` (hidden tests removed), and a
    page saying why and what to do for each notebook that could not be graded. With `hints`
    (`make feedback`), each student whose failures match a known mistake that carries a hint
    reads it under the failing test (grading/clusters.py: the mistakes are run once, then cached)."""
    root = Path(root).resolve()
    require_class(root, name)
    status = load_status(root, name).get(name, {})
    autograded = root / "autograded"
    done = sorted(p.name for p in autograded.iterdir() if (p / name).is_dir()) if autograded.exists() else []
    if not done and not status:
        raise GradingError(f"nothing graded for {name} yet: run `make grade A={name}` first; nothing was written")
    api = nbgrader_api(root)
    notebooks = sorted(p.stem for p in (root / "source" / name).glob("*.ipynb"))
    # nbgrader copies every file of autograded/<student>/<name>/ into the feedback (following
    # links): `make grade` writes only declared files there, but a folder written otherwise (plain
    # `nbgrader autograde`) that holds a link, FIFO or device gets no feedback but a refusal.
    unsafe = {s: submission.refused(autograded / s / name) for s in done}
    from . import clusters
    HideHiddenTests.hints = clusters.hints_for_class(root, name) if hints else {}
    try:
        with in_dir(root):
            for student in done:
                if unsafe[student]:
                    continue
                check_result(api.generate_feedback(name, student, force=True), f"feedback for {student}")
    finally:
        HideHiddenTests.hints = {}
    for student, bad in sorted(unsafe.items()):
        for notebook in notebooks if bad else ():
            write_problem_page(root / "feedback" / student / name / f"{notebook}.html", name, notebook,
                               f"error: the graded folder holds what is not a file "
                               f"({', '.join(f'{path} ({what})' for path, what in sorted(bad.items())[:3])}); "
                               f"no feedback was generated from it")
    for student, why in sorted(status.items()):
        for notebook in notebooks:
            if not (autograded / student / name / f"{notebook}.ipynb").exists():
                write_problem_page(root / "feedback" / student / name / f"{notebook}.html",
                                         name, notebook, why)
