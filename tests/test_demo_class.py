"""The demo class's data (grading/demo_class/, which `python -m grading demo` reads) agrees with
the DEMO entries of tests/mistakes/ it is generated from (`python tools/demo_class.py`)."""
import json
import subprocess
import sys

import specs
from conftest import REPO
from grading import demo


def test_demo_data_is_generated_from_the_mistakes_specs():
    done = subprocess.run([sys.executable, str(REPO / "tools" / "demo_class.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_demo_answer_is_a_listed_mistake_with_its_scores():
    for name in specs.names():
        spec = specs.load_spec(name)
        if "DEMO" not in spec:
            continue
        data = demo.demo_data(name)
        assert data["answers"] == specs.mistake_answers(spec, spec["DEMO"]["wrong"]), name
        assert demo.expected_scores(name) == spec["DEMO"]["scores"], name
        assert json.loads((demo.DATA / f"{name}.json").read_text())["wrong"] == spec["DEMO"]["wrong"]


def test_the_demo_module_reads_nothing_under_tests():
    """`python -m grading demo` runs from grading/ alone: no spec is loaded from tests/."""
    source = (REPO / "grading" / "demo.py").read_text()
    assert not hasattr(demo, "load_spec") and "runpy" not in source and '"tests"' not in source
