"""Students in a real JupyterLab: the course opens, runs and grades itself in headless Chromium.

One JupyterLab server (127.0.0.1, free port, token) serves a scratch copy of the course, with the
extension config `make lab` uses (see tests/browser_support.py). Python Playwright drives Debian's
/usr/bin/chromium (never a downloaded browser). Screenshots of each step go to artifacts/browser/.

Skipped only when /usr/bin/chromium is absent and the CI variable is unset; in CI a missing
chromium fails the suite (.ci/run installs it with apt).
"""
import os
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

import browser_support as bs
from grading import course

pytestmark = pytest.mark.browser

RELEASE_NB = "release/01_tensor_basics/01_tensor_basics.ipynb"
KERNEL_STATUS = '#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]'
TIMEOUT_MS = 120_000


def lesson_notebook():
    """Lesson 5's lecture when it exists, else lesson 1's (chosen when the tests run)."""
    for name in ("notebooks/05_spiral_mlp.ipynb", "notebooks/01_tensor_basics.ipynb"):
        if (bs.REPO / name).exists():
            return name
    raise AssertionError("no lecture notebook to open")


@pytest.fixture(scope="module")
def lab():
    """The server, and one browser page with JupyterLab loaded, shared by the tests."""
    if not Path(bs.CHROMIUM).exists():
        missing = f"Debian's chromium ({bs.CHROMIUM}) is not installed: apt-get install chromium"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{missing} (CI is set, so the browser tests must run; .ci/run installs it)")
        pytest.skip(f"{missing}; the browser tests run wherever it is, and always in CI")
    from playwright.sync_api import sync_playwright

    bs.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="browser-tests-"))
    server = bs.Lab(bs.make_course(tmp / "course"), tmp / "state")
    try:
        server.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bs.CHROMIUM, headless=True,
                                        args=bs.CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(server.open_url("lab"))
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell"
                                   " && document.querySelector('.lm-MenuBar-itemLabel')")
            server.page = page
            yield server
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def page(lab, request):
    failed_before = request.session.testsfailed
    yield lab.page
    if request.session.testsfailed > failed_before:   # what the browser showed when it failed
        lab.page.screenshot(path=bs.ARTIFACTS / f"failed_{request.node.name}.png")


def open_notebook(page, path):
    """Open `path` as the file browser does; wait until its kernel is idle; return its panel."""
    panel_id = page.evaluate(
        """async path => {
             const widget = await window.jupyterapp.commands.execute('docmanager:open', {path});
             await widget.context.ready;
             await widget.sessionContext.ready;
             window.jupyterapp.shell.activateById(widget.id);
             return widget.id; }""", path)
    panel = page.locator(f"#{panel_id}")
    panel.locator(".jp-Cell").first.wait_for()
    page.wait_for_selector(f"#{panel_id}:not(.lm-mod-hidden)")
    wait_idle(page)
    return panel


def wait_idle(page):
    """Wait until the status bar shows the kernel idle (not starting, busy or "No Kernel")."""
    page.wait_for_function(
        """sel => { const e = document.querySelector(sel);
                    return e && / \\| Idle$/.test(e.textContent.trim()); }""",
        arg=KERNEL_STATUS, timeout=TIMEOUT_MS)


def menu(page, top, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}")).first.click()


def run_all(page, panel):
    """Run all cells from the Run menu and wait until none is queued and the kernel is idle."""
    menu(page, "Run", "Run All Cells")
    wait_run_finished(page, panel)


def wait_run_finished(page, panel):
    page.wait_for_function(
        """([panel, statusSel]) => {
             const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
               .map(p => p.textContent);
             const status = document.querySelector(statusSel);
             return prompts.some(t => /\\[\\d+\\]/.test(t)) && !prompts.some(t => t.includes('*'))
               && status && / \\| Idle$/.test(status.textContent.trim()); }""",
        arg=[panel.element_handle(), KERNEL_STATUS], timeout=TIMEOUT_MS)


def cell_texts(panel):
    """Per code cell of the open notebook: (prompt, output text)."""
    return panel.locator(".jp-CodeCell").evaluate_all(
        """cells => cells.map(c => [
             (c.querySelector('.jp-InputPrompt') || {}).textContent || '',
             [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent).join('\\n')])""")


def test_release_notebook_runs_with_course_kernel(lab, page):
    """Run all in the student copy: imports work, the first exercise's tests hit the stub."""
    nb = nbformat.read(lab.root / RELEASE_NB, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first_solution = next(i for i, c in enumerate(code) if c.metadata.get("nbgrader", {}).get("solution"))
    next_solution = next((i for i, c in enumerate(code) if i > first_solution
                          and c.metadata.get("nbgrader", {}).get("solution")), len(code))

    panel = open_notebook(page, RELEASE_NB)
    run_all(page, panel)
    cells = cell_texts(panel)
    assert len(cells) == len(code)
    full = "\n".join(out for _, out in cells)
    assert "ModuleNotFoundError" not in full and "ImportError" not in full, full[:3000]
    errors = [i for i, (_, out) in enumerate(cells) if "Traceback" in out]
    assert errors, "no cell raised: the student copy should fail its first test"
    first = errors[0]
    assert first_solution < first < next_solution, (first, cells[first])
    assert "NotImplementedError" in cells[first][1], cells[first][1]
    assert all(re.search(r"\[\d+\]", prompt) for prompt, _ in cells[: first + 1]), cells[: first + 1]
    panel.locator(".jp-CodeCell").nth(first).locator(".jp-OutputArea-output").first.scroll_into_view_if_needed()
    page.screenshot(path=bs.ARTIFACTS / "1_release_notebook_run_all.png")


def test_lesson_notebook_renders_a_plot(lab, page):
    """Run all in the lecture: the course kernel draws a plot in the page (outputs cleared first).

    Once the first image is drawn and saved the kernel is shut down: `make test` already runs
    every lecture to the end with nbval, and lesson 5 trains several networks."""
    path = lesson_notebook()
    panel = open_notebook(page, path)
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(
        "panel => panel.querySelectorAll('.jp-OutputArea-output').length === 0",
        arg=panel.element_handle())
    menu(page, "Run", "Run All Cells")
    image = panel.locator(".jp-OutputArea-output img").first
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle(timeout=TIMEOUT_MS), timeout=TIMEOUT_MS)
    box = image.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    shown = "\n".join(out for _, out in cell_texts(panel))
    assert "ModuleNotFoundError" not in shown, shown[:3000]
    image.scroll_into_view_if_needed()
    page.screenshot(path=bs.ARTIFACTS / f"2_lesson_plot_{Path(path).stem}.png")
    menu(page, "Kernel", "Shut Down Kernel")   # the rest of the lecture is nbval's job
    page.wait_for_function(
        "sel => / \\| (No Kernel|Unknown|Dead)$|^No Kernel/.test(document.querySelector(sel).textContent.trim())",
        arg=KERNEL_STATUS)


def test_formgrader_lists_assignments_and_validate_reports_failures(lab, page):
    """Nbgrader > Formgrader lists every assignment and releases one; the student's Assignment List
    shows it (course id and exchange configured); Validate on a student copy reports its failing test."""
    menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe")
    for name in course.assignments(lab.root):   # the copy the formgrader serves
        frame.locator("td.name", has_text=name).first.wait_for()
    page.screenshot(path=bs.ARTIFACTS / "3_formgrader_assignments.png")

    # The instructor releases lesson 1 to the exchange; the student's Assignment List offers it.
    name = "01_tensor_basics"
    frame.locator("tr", has=frame.locator("td.name", has_text=name)).locator("td.release a").click()
    success = frame.locator("#success-modal")
    success.wait_for()
    frame.locator("td.status", has_text="released").first.wait_for()
    success.locator(".modal-footer button").click()
    menu(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list")
    released.locator(".list_item", has_text=name).wait_for()
    assert page.locator("#released_assignments_list_error").is_hidden()
    assert "dl-course" in page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden)").inner_text()
    page.screenshot(path=bs.ARTIFACTS / "4_assignment_list.png")

    panel = open_notebook(page, RELEASE_NB)
    panel.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    page.wait_for_function(
        "d => /NotImplementedError/.test(d.textContent)",
        arg=dialog.element_handle(), timeout=TIMEOUT_MS)
    text = dialog.inner_text()
    assert "failed" in text and "NotImplementedError" in text, text[:3000]
    assert "ModuleNotFoundError" not in text, text[:3000]
    page.screenshot(path=bs.ARTIFACTS / "5_validate_failing_tests.png")
    dialog.get_by_role("button", name="Ok").click()
