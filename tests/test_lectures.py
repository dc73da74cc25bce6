"""The lecture notebooks as a reader meets them: tidy stored outputs, one kernel, every lecture listed.

nbval (in `make test`) checks that each lecture prints its committed text; these tests check what
nbval does not: that the stored notebook shows no progress bar frozen at its first frame ("0%|"),
carries no widget state or execution timestamps (`make notebooks` tidies them with
tools/tidy_lectures.py), names the same kernel as the others, and that the README's lesson table
lists every lecture, and nbval collects every one of them."""
import copy
import importlib.util
import re

import pytest

from conftest import REPO, read

LECTURES = sorted((REPO / "notebooks").glob("*.ipynb"))
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def load_tidy():
    spec = importlib.util.spec_from_file_location("tidy_lectures", REPO / "tools" / "tidy_lectures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tidy = load_tidy().tidy


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_is_stored_tidy(path):
    nb = read(path)
    assert nb.metadata.get("kernelspec") == KERNELSPEC
    assert "widgets" not in nb.metadata, "widget state stored: run `make notebooks NB=...` (it tidies)"
    assert tidy(copy.deepcopy(nb)) == nb, "not tidied: run tools/tidy_lectures.py on it"
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"\b0%\|", text), f"cell {i} stores a progress bar at 0%"
        if cell.cell_type == "code" and "plt.show()" in cell.source:
            assert any("image/png" in out.get("data", {}) for out in cell.outputs), f"cell {i}: no stored figure"


def test_tidy_drops_progress_bars_and_noise_and_keeps_the_rest():
    import nbformat
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC, "widgets": {"state": {}}})
    cell = nbformat.v4.new_code_cell("for i in tqdm(range(3)): pass\nprint('done')")
    cell.metadata["execution"] = {"shell.execute_reply": "2026-01-01T00:00:00Z"}
    cell.metadata["tags"] = ["nbval-ignore-output"]
    bar = nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2, "version_minor": 0},
        "text/plain": "  0%|          | 0/3 [00:00<?, ?it/s]"})
    printed = nbformat.v4.new_output("stream", name="stdout", text="done\n")
    cell.outputs = [bar, printed]
    nb.cells.append(cell)
    tidy(nb)
    assert "widgets" not in nb.metadata and nb.metadata.kernelspec == KERNELSPEC
    assert cell.outputs == [printed] and cell.metadata == {"tags": ["nbval-ignore-output"]}
    assert tidy(copy.deepcopy(nb)) == nb


def test_readme_lists_every_lecture_and_make_test_runs_them():
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| (\d+) \|", readme, flags=re.M)
    assert sorted(int(r) for r in rows) == sorted(int(p.name[:2]) for p in LECTURES)
    assert "--nbval notebooks" in (REPO / "Makefile").read_text()
