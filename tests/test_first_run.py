"""A newcomer's first commands: `make demo` without bubblewrap, `make grade`'s refusal to drop
isolation silently, and `make lab` as root."""
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO
from grading import demo

NAME = "01_tensor_basics"
MAKE = shutil.which("make")


def path_without(tmp_path, program):
    """A PATH with every program of this one except `program` (links in a folder of its own)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory) or directory.startswith(str(REPO)):
            continue
        for entry in os.scandir(directory):
            if entry.name != program and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry.path)
    return str(folder)


@pytest.fixture
def no_bwrap_env(tmp_path):
    env = dict(os.environ, PATH=path_without(tmp_path, "bwrap"))
    assert shutil.which("bwrap", path=env["PATH"]) is None
    return env


def test_make_demo_grades_without_bubblewrap_and_says_so(tmp_path, no_bwrap_env):
    target = tmp_path / "demo"
    result = subprocess.run([MAKE, "-C", str(REPO), "demo", f"A={NAME}", f"DEMO_DIR={target}"],
                            env=no_bwrap_env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line == demo.NO_SANDBOX_NOTICE], result.stdout
    table = lines.index(next(line for line in lines if line.startswith("assignment ")))
    rows = {line.split()[1]: line for line in lines[table + 2: table + 6]}
    assert "11 / 11" in rows["alice"] and "graded" in rows["alice"], rows
    assert "ERROR: " in rows["dave"] and "not valid JSON" in rows["dave"], rows
    assert (target / "grades.csv").exists() and not (target / "build").exists()

    # On real submissions `make grade` never drops isolation silently: without bwrap it stops,
    # naming SANDBOX=0, before anything is graded.
    before = (target / "gradebook.db").read_bytes()
    refused = subprocess.run([MAKE, "-C", str(REPO), "grade", f"A={NAME}", f"COURSE={target}"],
                             env=no_bwrap_env, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "bubblewrap" in refused.stderr and "SANDBOX=0" in refused.stderr, refused.stderr
    assert (target / "gradebook.db").read_bytes() == before


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(os.getuid() != 0, reason="checks `make lab` as root")
def test_make_lab_starts_as_root(tmp_path):
    port, token = free_port(), "first-run-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), IPYTHONDIR=str(tmp_path / "ipython"))
    args = f"--no-browser --port {port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    proc = subprocess.Popen([MAKE, "-C", str(REPO), "lab", f"LAB_ARGS={args}"], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status, deadline = None, time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None and status != 200:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5).status
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200, proc.stdout.read() if proc.poll() is not None else "no answer from /lab"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
