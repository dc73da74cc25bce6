"""requirements.txt (pip, CI) and environment.yml (conda, students) list the same packages."""
import re

from conftest import REPO


def pins(lines):
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip().lstrip("- ").strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([\w.]+)", line)
        if match:
            out[match.group(1).lower()] = match.group(2)
    return out


def test_environment_yml_mirrors_requirements():
    pip = pins((REPO / "requirements.txt").read_text().splitlines())
    yml_text = (REPO / "environment.yml").read_text()
    conda = pins(yml_text.split("- pip:", 1)[1].splitlines())
    assert pip["torch"] == "2.13.0", "torch must stay pinned to 2.13.0"
    assert conda.pop("torchvision", None), "environment.yml should offer torchvision to students"
    assert conda == pip, f"drift: only in requirements {set(pip.items()) - set(conda.items())}, " \
                         f"only in environment.yml {set(conda.items()) - set(pip.items())}"
    assert "-e ." in yml_text, "environment.yml must install the helpers package"


def test_every_requirement_is_pinned():
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        assert not line or "==" in line, f"unpinned requirement: {line}"
