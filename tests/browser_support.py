"""JupyterLab in headless Chromium for tests/test_browser.py (see that file's docstring).

A scratch copy of the course (nbgrader_config.py, source/, release/, notebooks/) in a temporary
folder is the server's root and working directory, so nbgrader's server extensions read the
course's own nbgrader_config.py and the formgrader's gradebook.db is created there, never in the
repository. Jupyter's own state (config, data, runtime, IPython, matplotlib) lives in temporary
folders; nbgrader's extensions come from the course environment (pip installs them enabled) and
from the repository's `jupyter/` config folder, exactly as `make lab` uses them.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-dev-shm-usage"]
# Lab user settings for the tests: no "official Jupyter news" toast over the screenshots, and every
# cell kept in the page (no windowing) so outputs far down the notebook can be read.
TEST_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
# No "build recommended" check: the lab is prebuilt and the check costs seconds of CPU.
TEST_PAGE_CONFIG = {"buildCheck": False, "buildAvailable": False}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_course(target):
    """Copy what a student or instructor opens into `target` (a fresh folder); return it."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", target)
    for folder in ("source", "release", "notebooks"):
        shutil.copytree(REPO / folder, target / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    (target / "exchange").mkdir()
    return target


class Lab:
    """A JupyterLab server on 127.0.0.1 with a token, serving `root` (started by `start`)."""

    def __init__(self, root, state):
        self.root = Path(root)
        self.state = Path(state)
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = self.state / "lab.log"

    def env(self):
        env = dict(os.environ)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                     "MPLCONFIGDIR"):
            path = self.state / name.lower()
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
        # The repository's jupyter/ folder: the same extension config `make lab` passes.
        env["JUPYTER_CONFIG_PATH"] = str(REPO / "jupyter")
        bindir = os.path.dirname(sys.executable)   # nbgrader runs `alembic` to create a gradebook
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = "1"
        return env

    def start(self, timeout=60):
        env = self.env()
        config_dir = Path(env["JUPYTER_CONFIG_DIR"])
        for name, value in TEST_SETTINGS.items():
            path = config_dir / "lab" / "user-settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        (config_dir / "labconfig").mkdir(exist_ok=True)
        (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(TEST_PAGE_CONFIG))
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--port", str(self.port),
               "--ServerApp.port_retries=0", "--IdentityProvider.token", self.token,
               "--ServerApp.ip", "127.0.0.1", "--ServerApp.root_dir", str(self.root),
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               # window.jupyterapp: the tests open documents as the file browser does, without
               # reloading the whole lab for each one.
               "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log_text()}")

    def log_text(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def open_url(self, path):
        return f"{self.url}/{path}?token={self.token}&reset"
