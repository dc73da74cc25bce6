"""`make hub`'s configuration (deploy/jupyterhub_config.py), read the way JupyterHub reads it:
the real authenticator by default, the dummy one refused outside tests, nbgrader's groups and
roles, Formgrader for instructors only, and what every student's server gets."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import REPO

CONFIG = REPO / "deploy" / "jupyterhub_config.py"
READ = """
import json, sys
from traitlets.config import Config
c = Config()
path = sys.argv[1]
exec(compile(open(path).read(), path, "exec"), {"get_config": lambda: c, "__file__": path})
def plain(v):
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
print(json.dumps({section: plain(dict(values)) for section, values in c.items()}))
"""


def load(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    course = tmp_path / "course"          # private, as the hub requires (deploy/privacy.py)
    course.mkdir(mode=0o750, exist_ok=True)
    base.update(COURSE_HUB_STATE=str(tmp_path / "state"), COURSE_EXCHANGE=str(tmp_path / "exchange"),
                COURSE_STUDENTS_FILE=str(tmp_path / "none.txt"), COURSE_HUB_USER_PYTHON="/usr/bin/env",
                COURSE_ROOT=str(course))
    base.update(env)
    done = subprocess.run([sys.executable, "-c", READ, str(CONFIG)], env=base, capture_output=True,
                          text=True, timeout=120)
    return done, (json.loads(done.stdout) if done.returncode == 0 else None)


def test_defaults_real_authenticator_groups_roles_and_student_servers(tmp_path):
    done, c = load(tmp_path, COURSE_INSTRUCTORS="ada,alan", COURSE_STUDENTS="s1,s2",
                   COURSE_DB_URL="postgresql://grader:pw@db/dl", COURSE_HUB_SPAWNER="localprocess")
    if os.getuid() != 0:
        assert done.returncode != 0 and "needs root" in done.stderr
        pytest.skip("the rest reads the configuration as root, as `sudo make hub` does")
    assert done.returncode == 0, done.stderr
    hub = c["JupyterHub"]
    assert hub["authenticator_class"] == "nativeauthenticator.NativeAuthenticator"
    assert c["NativeAuthenticator"]["open_signup"] is False
    assert hub["spawner_class"] == "localprocess"
    assert hub["bind_url"] == "http://127.0.0.1:8000" and hub["hub_ip"] == "127.0.0.1"
    assert c["ConfigurableHTTPProxy"]["command"] == [str(REPO / "deploy/node_modules/.bin/configurable-http-proxy")]
    assert c["Authenticator"]["admin_users"] == ["ada", "alan"]
    assert c["Authenticator"]["allowed_users"] == ["ada", "alan", "grader-dl-course", "s1", "s2"]
    assert hub["load_groups"] == {"formgrade-dl-course": {"users": ["ada", "alan", "grader-dl-course"]},
                                  "nbgrader-dl-course": {"users": ["s1", "s2"]}}
    roles = {r["name"]: r for r in hub["load_roles"]}
    access = [name for name, r in roles.items() if "access:services!service=dl-course" in r.get("scopes", [])]
    assert access == ["formgrade-dl-course"] and roles[access[0]]["groups"] == ["formgrade-dl-course"]
    assert roles["server"]["scopes"] == ["inherit"]
    service, check = hub["services"]
    assert service["name"] == "dl-course" and service["environment"]["COURSE_DB_URL"] == "postgresql://grader:pw@db/dl"
    # Check my work (deploy/check_service.py): the grader's gradebook, for the course's students
    assert check["name"] == "dl-course-check" and check["environment"]["COURSE_DB_URL"] == "postgresql://grader:pw@db/dl"
    assert check["command"][1] == str(REPO / "deploy/check_service.py")
    assert "access:services!service=dl-course-check" in roles["nbgrader-dl-course"]["scopes"]
    assert f"--ServerApp.root_dir={tmp_path / 'course'}" in service["command"]
    spawner = c["Spawner"]
    assert spawner["environment"]["OMP_NUM_THREADS"] == "1"
    assert spawner["environment"]["JUPYTER_CONFIG_PATH"].split(":")[0] == str(REPO / "deploy/config/student")
    assert spawner["cmd"] == ["/usr/bin/env", "-m", "jupyterhub.singleuser"]
    assert (tmp_path / "exchange").stat().st_mode & 0o1777 == 0o1777


@pytest.mark.slow   # starts Pythons or builds an nbgrader gradebook
def test_students_python_is_the_environments_or_a_readable_view_of_it(tmp_path):
    if os.getuid() != 0:
        pytest.skip("checked where the hub runs: as root")
    sys.path.insert(0, str(REPO / "deploy"))
    import user_env
    base = Path(tempfile.mkdtemp(prefix="hubcfg-", dir="/tmp"))
    try:
        base.chmod(0o755)
        done, c = load(tmp_path, COURSE_HUB_USER_PYTHON="", COURSE_HUB_STATE=str(base / "hub"))
        assert done.returncode == 0, done.stderr
        python = c["Spawner"]["cmd"][0]
        if user_env.is_private():
            assert python == str(base / "hub-user-env" / "bin" / "python") and "is private" in done.stderr
            assert user_env.closed_to_others(python) is None
            check = subprocess.run([python, "-c", "import helpers, torch, nbgrader, jupyterhub.singleuser"],
                                   capture_output=True, text=True, timeout=120)
            assert check.returncode == 0, check.stderr[-2000:]
        else:
            assert python == str(Path(sys.prefix) / "bin" / "python")
    finally:
        shutil.rmtree(base)


def test_dummy_authenticator_only_for_tests(tmp_path):
    done, _ = load(tmp_path, COURSE_HUB_AUTH="dummy", COURSE_HUB_TEST_PASSWORD="x", COURSE_HUB_SPAWNER="simple")
    assert done.returncode != 0 and "for the tests only" in done.stderr
    done, c = load(tmp_path, COURSE_HUB_AUTH="dummy", COURSE_HUB_TEST_PASSWORD="x", COURSE_HUB_SPAWNER="simple",
                   COURSE_HUB_TESTING="1")
    assert done.returncode == 0 and c["JupyterHub"]["authenticator_class"] == "dummy"
    done, c = load(tmp_path, COURSE_HUB_AUTH="pam", COURSE_HUB_SPAWNER="simple")
    assert done.returncode == 0 and c["JupyterHub"]["authenticator_class"] == "pam"


@pytest.mark.slow   # starts Pythons or builds an nbgrader gradebook
def test_a_python_students_cannot_run_is_refused(tmp_path):
    if os.getuid() != 0:
        pytest.skip("checked where the hub runs: as root")
    base = Path(tempfile.mkdtemp(prefix="hubcfg-", dir="/tmp"))
    try:
        base.chmod(0o755)
        private = base / "private"
        (private / "bin").mkdir(parents=True)
        (private / "bin" / "python").write_text("")
        private.chmod(0o700)
        done, _ = load(tmp_path, COURSE_HUB_USER_PYTHON=str(private / "bin" / "python"))
    finally:
        shutil.rmtree(base)
    assert done.returncode != 0 and "closed to other users" in done.stderr
    assert f"{private} (on the way to" in done.stderr


def test_student_side_nbgrader_uses_the_hub_groups_and_hides_formgrader():
    student = REPO / "deploy" / "config" / "student"
    text = (student / "nbgrader_config.py").read_text()
    assert "c.Authenticator.plugin_class = JupyterHubAuthPlugin" in text
    assert "c.Exchange.path_includes_course = True" in text
    server = json.loads((student / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert server["nbgrader.server_extensions.formgrader"] is False
    assert server["nbgrader.server_extensions.assignment_list"] is True
    lab = json.loads((student / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert lab["@jupyter/nbgrader:formgrader"] is True and lab["@jupyter/nbgrader:assignment-list"] is False


def test_the_proxy_is_pinned_with_a_lock_file():
    package = json.loads((REPO / "deploy" / "package.json").read_text())
    lock = json.loads((REPO / "deploy" / "package-lock.json").read_text())
    version = package["dependencies"]["configurable-http-proxy"]
    assert version[0].isdigit(), "pin an exact version"
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == version
    assert "node_modules" in (REPO / ".gitignore").read_text()
