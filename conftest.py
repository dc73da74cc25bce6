"""Pytest set-up for the whole repository.

`make test` runs pytest with --nbval: lecture notebooks in notebooks/ are executed and their
text outputs compared with the committed ones (so a notebook that stops giving the same numbers
on every run fails); instructor notebooks in source/ are committed without outputs, so they are
only executed (lax mode: every cell must run without error).
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def pytest_collectstart(collector):
    path = getattr(collector, "path", None)
    if path is not None and path.suffix == ".ipynb" and (ROOT / "source") in path.parents:
        collector.compare_outputs = False


# The longest test scopes (whole classes graded in sandboxes, the browser) start first, so that
# pytest-xdist does not leave one of them running alone at the end. `make test` passes
# --no-loadscope-reorder: by default `--dist loadscope` hands out the scopes with the most tests
# first, which put these few-but-long tests last. The sort is stable: notebook cells keep their order.
LONG_FIRST = ("tests/test_redteam.py", "tests/test_grading_faults.py", "tests/test_browser.py",
              "tests/test_hub_e2e.py", "tests/test_postgres_gradebook.py", "tests/test_grading_e2e.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        path = str(item.path.relative_to(ROOT))
        return LONG_FIRST.index(path) if path in LONG_FIRST else len(LONG_FIRST)
    items.sort(key=rank)
