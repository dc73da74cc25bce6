"""A throwaway PostgreSQL server for tests: Debian's postgresql (installed by .ci/run), its data
folder in a temporary directory, listening on 127.0.0.1 on a free port and on a unix socket in
that directory, stopped and removed afterwards, even when the test fails.

PostgreSQL refuses to run as root: as root the server runs as the `postgres` user that Debian's
package creates (runuser), otherwise as the current user. Authentication is `trust` on loopback
(and on the socket unless a test asks for `peer` there, as the hub's deployment has it); the
tests' databases hold nothing but demo classes.
"""
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest


def binaries():
    """The folder of initdb and postgres (the newest Debian version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("postgres")
    return Path(which).parent if which else None


def require_binaries():
    """Skip (outside CI) or fail (in CI, which installs them) when PostgreSQL is absent."""
    where = binaries()
    if where is None:
        message = "PostgreSQL is not installed (`apt-get install postgresql`; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return where


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(argv):
    """argv run as the server's user: `postgres` when we are root, else ourselves."""
    if os.getuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class Server:
    def __init__(self, bindir, folder, port, process):
        self.bindir, self.folder, self.port, self.process = bindir, folder, port, process

    def url(self, database="postgres"):
        """A libpq-style URL, as COURSE_DB_URL takes it."""
        return f"postgresql://course@127.0.0.1:{self.port}/{database}"

    def create_database(self, name=None):
        """Create a fresh database; return its COURSE_DB_URL."""
        import psycopg
        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host="127.0.0.1", port=self.port, user="course", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def running(max_connections=200, local_auth="trust"):
    """Start a server in a fresh temporary folder; yield a Server; stop and remove it.
    `local_auth`: how the unix socket authenticates (trust, or peer: the role named as the client's
    unix account)."""
    bindir = require_binaries()
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))   # short: the socket lives here
    process = None
    try:
        if os.getuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(folder, pg.pw_uid, pg.pw_gid)
        data = folder / "data"
        subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", "course",
                                        "--auth-host=trust", f"--auth-local={local_auth}", "-E", "UTF8",
                                        "--no-sync"]),
                       check=True, capture_output=True, text=True, cwd=folder)
        for attempt in range(5):
            port = _free_port()
            log = folder / f"server-{attempt}.log"
            process = subprocess.Popen(
                _as_server_user([str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={folder}",
                                 "-c", f"max_connections={max_connections}", "-c", "fsync=off",
                                 "-c", "shared_buffers=32MB"]),
                stdout=subprocess.DEVNULL, stderr=open(log, "w"), start_new_session=True, cwd=folder)
            if _wait_ready(port, process):
                break
            process.kill()
            process.wait()
            process = None
        if process is None:
            raise RuntimeError("PostgreSQL did not start: " + log.read_text()[-2000:])
        yield Server(bindir, folder, port, process)
    finally:
        if process is not None:
            process.terminate()   # SIGTERM: "smart" shutdown; then fast, then kill
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(port, process, timeout=30):
    import psycopg
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user="course", dbname="postgres",
                                 connect_timeout=2):
                return True
        except psycopg.OperationalError:
            time.sleep(0.2)
    return False
