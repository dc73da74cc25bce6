"""Tidy executed lecture notebooks: keep what a reader needs, drop what execution leaves behind.

    .venv/bin/python tools/tidy_lectures.py notebooks/*.ipynb

`make notebooks` runs it after executing each lecture. It removes
* progress bars: tqdm.auto draws a widget whose stored text is its first frame ("0%| 0/100"), and
  whose state (kept in the notebook's metadata) most viewers cannot show; a student who runs the
  cell sees the live bar, a reader of the stored notebook sees the printed results below it;
* the notebook's widget state and each cell's execution timestamps (`metadata.execution`).
Everything else (outputs, tags, kernel metadata) is kept as it is. Running it twice changes nothing.
"""
import sys
from pathlib import Path

import nbformat

WIDGET = "application/vnd.jupyter.widget-view+json"


def tidy(nb):
    """Return `nb` (a NotebookNode) tidied in place, as described in the module docstring."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if WIDGET not in out.get("data", {})]
    return nb


def main(paths):
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        nbformat.write(tidy(nb), path)
        print(f"tidied {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
