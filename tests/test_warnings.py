"""A warning is shown, never scored: the student's Validate and `make grade` agree on it.

nbgrader's Validate fails any test cell with output on stderr, where Python prints warnings; each
assignment's set-up cell routes them to stdout (helpers.checks.warnings_to_stdout). The grader
never looks at stderr (tests/test_grading_alternatives.py grades answers that warn).
"""
import subprocess
import sys

import nbformat

from conftest import REPO, read
from grading import demo

NAME = "01_tensor_basics"
WARNS = """def subtract_three_ways(M, N):
    try:
        inplace = torch.tensor(M).sub_(N)   # copy-constructing from a tensor: a UserWarning
    except RuntimeError as err:
        inplace = err
    return M - N, torch.sub(M, N), inplace"""


def validate(nb, tmp_path):
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(nb, path)
    return subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)


def test_validate_passes_a_correct_answer_that_warns(tmp_path):
    source = read(REPO / "source" / NAME / f"{NAME}.ipynb")
    release = read(REPO / "release" / NAME / f"{NAME}.ipynb")
    answers = dict(demo.solution_cells(source), subtract_three_ways=WARNS)
    result = validate(demo.fill(release, answers), tmp_path)
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


def test_without_the_set_up_cell_validate_fails_it(tmp_path):
    """The reason for warnings_to_stdout: the same answer fails Validate when warnings go to stderr."""
    source = read(REPO / "source" / NAME / f"{NAME}.ipynb")
    release = read(REPO / "release" / NAME / f"{NAME}.ipynb")
    nb = demo.fill(release, dict(demo.solution_cells(source), subtract_three_ways=WARNS))
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert "warnings_to_stdout()" in setup.source
    setup.source = setup.source.replace("warnings_to_stdout()", "pass")
    result = validate(nb, tmp_path)
    assert "VALIDATION FAILED" in result.stdout and "Success!" not in result.stdout, result.stdout + result.stderr
