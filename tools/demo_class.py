"""Write the demo class's data, grading/demo_class/<assignment>.json, from the DEMO entry of each
tests/mistakes/<assignment>.py (carol's wrong answer and the exact scores of alice, bob, carol).

    .venv/bin/python tools/demo_class.py            # regenerate every file
    .venv/bin/python tools/demo_class.py --check    # exit 1 if one differs (tests/test_demo_class.py)

Run it after changing a DEMO entry (or adding an assignment): `python -m grading demo` reads only
grading/demo_class/, never tests/, and tests/test_demo_class.py fails while the two disagree.
"""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]

import specs  # noqa: E402

DATA = REPO / "grading" / "demo_class"


def build(name):
    """The demo data of assignment `name`, from its spec's DEMO entry, as the file holds it."""
    spec = specs.load_spec(name)
    wrong = spec["DEMO"]["wrong"]
    return {"wrong": wrong, "answers": specs.mistake_answers(spec, wrong), "scores": spec["DEMO"]["scores"]}


def text(name):
    return json.dumps(build(name), indent=1, sort_keys=True) + "\n"


def drift():
    """The files of grading/demo_class/ that differ from a fresh generation (or should not exist)."""
    wanted = {f"{name}.json": text(name) for name in specs.names() if "DEMO" in specs.load_spec(name)}
    found = {p.name for p in DATA.glob("*.json")}
    return sorted(f for f in wanted.keys() | found
                  if f not in found or f not in wanted or (DATA / f).read_text() != wanted[f])


def main(argv):
    if "--check" in argv:
        stale = drift()
        if stale:
            print("grading/demo_class/ differs from tests/mistakes/ (run `python tools/demo_class.py`): "
                  + ", ".join(stale))
            return 1
        return 0
    DATA.mkdir(exist_ok=True)
    for stale in drift():
        (DATA / stale).unlink(missing_ok=True)
    for name in specs.names():
        if "DEMO" in specs.load_spec(name):
            (DATA / f"{name}.json").write_text(text(name))
    print(f"wrote {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
