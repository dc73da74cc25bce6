"""The specs of typical mistakes, tests/mistakes/<assignment>.py: `MISTAKES` (each wrong answer
and the test cells it must fail) and `DEMO` (the demo class's wrong answer and exact scores).
Read by the tests, the benchmarks and tools/demo_class.py (which copies each DEMO into
grading/demo_class/, the demo's own data)."""
import runpy
from pathlib import Path

MISTAKES_DIR = Path(__file__).resolve().parent / "mistakes"


def names():
    """The assignments that have a spec."""
    return sorted(p.stem for p in MISTAKES_DIR.glob("*.py") if not p.name.startswith("_"))


def load_spec(name):
    """Return the mistakes spec of assignment `name`: {'MISTAKES': {...}, 'DEMO': {...}}."""
    path = MISTAKES_DIR / f"{name}.py"
    if not path.exists():
        raise FileNotFoundError(f"no mistakes spec for {name}: write {path}")
    return runpy.run_path(str(path))


def mistake_answers(spec, mistake):
    """Return {grade_id: code} for one named mistake of a spec."""
    entry = spec["MISTAKES"][mistake]
    return {entry["cell"]: entry["code"]}
