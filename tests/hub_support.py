"""The course hub for tests: throwaway unix accounts, free loopback ports, and `make hub`'s
JupyterHub (deploy/jupyterhub_config.py) started with the test-only dummy authenticator.

Everything the tests create is removed afterwards, even when they fail: the hub and its proxy
(their own process group), the processes of the throwaway accounts (found by uid), the accounts
and their homes.
"""
import contextlib
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from grading.sandbox import reap

CHP = REPO / "deploy" / "node_modules" / ".bin" / "configurable-http-proxy"


def require_hub_tools():
    """Skip (outside CI) or fail (in CI) without root, useradd or the proxy (`make hub-deps`)."""
    missing = []
    if os.getuid() != 0:
        missing.append("root (the hub starts each student's server as their unix account)")
    if not Path("/usr/sbin/useradd").exists():
        missing.append("useradd")
    if not CHP.exists():
        missing.append(f"configurable-http-proxy in {CHP.parent} (`make hub-deps`: npm ci in deploy/)")
    if missing:
        message = "the course hub needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _retry(argv, attempts=20):
    """useradd/userdel lock /etc/passwd: another test doing the same makes them fail at once."""
    for i in range(attempts):
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode == 0:
            return done
        if "lock" not in (done.stderr + done.stdout).lower():
            break
        time.sleep(0.2 * (i + 1))
    raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")




@contextlib.contextmanager
def unix_users(names, home_base):
    """Create the accounts `names` with private homes under `home_base`; remove them (and kill
    what they still run) afterwards."""
    created = []
    try:
        for name in names:
            _retry(["useradd", "--create-home", "--base-dir", str(home_base), "--shell", "/bin/bash",
                    "--user-group", name])
            created.append(name)
            os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
        yield {name: pwd.getpwnam(name) for name in names}
    finally:
        for name in created:
            with contextlib.suppress(KeyError):
                reap(pwd.getpwnam(name).pw_uid, timeout=2)   # the user's processes, then the user
            with contextlib.suppress(RuntimeError):
                _retry(["userdel", "--remove", name])


def as_user(name, argv, env=None, **kwargs):
    """Run argv as the unix account `name` (runuser), with exactly `env`."""
    clean = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": pwd.getpwnam(name).pw_dir}
    return subprocess.run(["runuser", "-u", name, "--", "env", "-i",
                           *[f"{k}={v}" for k, v in {**clean, **(env or {})}.items()], *argv],
                          capture_output=True, text=True, **kwargs)


class Hub:
    def __init__(self, url, process, password, log):
        self.url, self.process, self.password, self.log = url, process, password, log

    def api(self, method, path, token=None, **kwargs):
        import requests
        headers = {"Authorization": f"token {token}"} if token else {}
        return requests.request(method, self.url + path, headers=headers, timeout=60, **kwargs)

    def login(self, name):
        """A token for `name`, obtained the way a script logs in: username and password."""
        r = self.api("POST", f"/hub/api/users/{name}/tokens",
                     json={"auth": {"username": name, "password": self.password}, "note": "e2e"})
        assert r.status_code in (200, 201), f"login of {name}: {r.status_code} {r.text[:300]}"
        return r.json()["token"]

    def start_server(self, name, token, timeout=120):
        r = self.api("POST", f"/hub/api/users/{name}/server", token=token)
        assert r.status_code in (201, 202), f"starting {name}'s server: {r.status_code} {r.text[:300]}\n{self.tail()}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.api("GET", f"/hub/api/users/{name}", token=token).json()
            server = info.get("servers", {}).get("", {})
            if server.get("ready"):
                return server
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(f"{name}'s server did not start:\n{self.tail()}")

    def tail(self, n=4000):
        return Path(self.log).read_text(errors="replace")[-n:]


@contextlib.contextmanager
def running_hub(state, env_extra, timeout=90, dummy=True):
    """Start `make hub`'s command (jupyterhub -f deploy/jupyterhub_config.py) with free ports and
    the dummy authenticator (or, with dummy=False, the default NativeAuthenticator); yield a Hub;
    stop it and its proxy and servers."""
    require_hub_tools()
    public, api, proxy, grader, check = free_ports(5)
    password = secrets.token_hex(12)
    auth = dict(COURSE_HUB_TESTING="1", COURSE_HUB_AUTH="dummy", COURSE_HUB_TEST_PASSWORD=password) if dummy else {}
    env = dict({k: v for k, v in os.environ.items() if not k.startswith("COURSE_HUB_")}, **auth,
               COURSE_HUB_STATE=str(state), COURSE_HUB_BIND_URL=f"http://127.0.0.1:{public}",
               COURSE_HUB_API_PORT=str(api), COURSE_HUB_PROXY_API_PORT=str(proxy),
               COURSE_HUB_GRADER_PORT=str(grader), COURSE_HUB_CHECK_PORT=str(check),
               COURSE_STUDENTS_FILE="/nonexistent")
    env.update(env_extra)   # a test's own settings win (e.g. its own check port)
    env.pop("CONFIGPROXY_AUTH_TOKEN", None)
    log = Path(state).parent / "hub.log"
    process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f",
                                str(REPO / "deploy" / "jupyterhub_config.py")],
                               cwd=str(state.parent), env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{public}", process, password, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the hub exited with {process.returncode}:\n{hub.tail()}")
            with contextlib.suppress(Exception):
                if hub.api("GET", "/hub/api/").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"the hub did not answer in {timeout} s:\n{hub.tail()}")
            time.sleep(0.3)
        yield hub
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)   # the hub stops the servers and the proxy
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        _kill_leftovers(state, env_extra.get("COURSE_ROOT"))


def _kill_leftovers(state, course_root):
    """What a hub killed before its own clean-up leaves: the proxy (its pid file) and the
    grader service (its command line names the course folder)."""
    from conftest import processes_naming
    pids = []
    with contextlib.suppress(OSError, ValueError):
        pid = int((Path(state) / "jupyterhub-proxy.pid").read_text())
        if "configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
            pids.append(pid)
    if course_root:
        pids += [pid for pid, argv in processes_naming(f"--ServerApp.root_dir={course_root}")]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def process_env(pid):
    """The environment a process was started with, from /proc."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def singleuser_pid(uid):
    """The pid of the single-user server running as `uid`, or None."""
    from grading import proc
    for pid in proc.pids_of(uid):
        try:
            if "jupyterhub.singleuser" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                return pid
        except OSError:
            continue
    return None
