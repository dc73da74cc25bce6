"""What a grading worker costs to start (issue 27): every second a worker spends importing at the
start of a run competes for the cores with the kernels' template, which the first kernel waits for.

* the workers' forkserver imports neither torch (the template's business), nor the `helpers`
  package (the kernels'), nor nbgrader (the grading process's), sandboxes included;
* a worker never imports the grading process's main script again (multiprocessing's default):
  an instructor's script that calls `grade` costs its workers nothing, and is not run again;
* the cell kinds the workers read without nbgrader agree with nbgrader's own reading.
"""
import subprocess
import sys
import textwrap

import nbformat
import pytest
from nbgrader import utils

from conftest import REPO
from grading import cells


def _python(code):
    """What a fresh Python prints running `code` (outside the repository, as a worker)."""
    done = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_worker_imports_neither_torch_nor_helpers_nor_nbgrader():
    # what the forkserver preloads, and what a worker does before its first kernel: the sandbox's mounts
    assert _python("import sys, grading.work, grading.settings, grading.bwrap; grading.bwrap.exposed_paths(); "
                   "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'helpers', 'nbgrader'}))") == "[]"


def test_the_helpers_folder_is_found_without_importing_it():
    assert _python("import pathlib, helpers; from grading import bwrap; "
                   "print(bwrap.helpers_folder() == pathlib.Path(helpers.__file__).resolve().parent)") == "True"


def test_a_pool_started_from_a_script_does_not_import_the_script_again(tmp_path):
    marker = tmp_path / "imported"
    script = tmp_path / "instructor_script.py"
    script.write_text(textwrap.dedent(f"""\
        import os
        with open({str(marker)!r}, "a") as out:   # what importing this script does, each time
            out.write(__name__ + "\\n")
        from grading import fanout, work
        pool = fanout.LocalPool(2, work.worker_init)
        pids = {{pool.submit(os.getpid).result(timeout=60) for _ in range(4)}}
        pool.shutdown()
        print(len(pids) >= 1 and os.getpid() not in pids)
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"   # the tasks ran in the workers
    assert marker.read_text().splitlines() == ["__main__"]   # multiprocessing's default adds __mp_main__ per worker


def _source_cells():
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        yield from nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("metadata", [{}, {"nbgrader": {}}, {"nbgrader": {"grade": True}},
                                      {"nbgrader": {"grade": True, "solution": True}},
                                      {"nbgrader": {"solution": True}}, {"nbgrader": {"grade": False, "solution": False}},
                                      {"other": 1}])
@pytest.mark.parametrize("cell_type", ["code", "markdown"])
def test_cell_kinds_agree_with_nbgraders(metadata, cell_type):
    cell = nbformat.from_dict({"cell_type": cell_type, "metadata": metadata, "source": ""})
    assert cells.is_test(cell) == bool(cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell))
    assert cells.is_answer(cell) == bool(utils.is_solution(cell))


def test_cell_kinds_agree_with_nbgraders_on_every_source_cell():
    seen = {"test": 0, "answer": 0}
    for cell in _source_cells():
        nbgraders = cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)
        assert cells.is_test(cell) == bool(nbgraders)
        assert cells.is_answer(cell) == bool(utils.is_solution(cell))
        seen["test"] += cells.is_test(cell)
        seen["answer"] += cells.is_answer(cell)
    assert seen["test"] > 20 and seen["answer"] > 20
