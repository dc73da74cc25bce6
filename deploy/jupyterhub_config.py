"""The course hub on one machine: `make hub` (JupyterHub from requirements.txt, the proxy from
deploy/package.json). docs/deployment.md says how to run it for a class.

    students    log in (NativeAuthenticator by default: they sign up, an instructor approves them
                at /hub/authorize; or PAM with COURSE_HUB_AUTH=pam) and get their own server as
                their own unix user (LocalProcessSpawner), with the course environment (`import
                helpers` works), one torch/BLAS thread, and nbgrader's Assignments tab, which
                fetches and submits through the exchange (nbgrader's JupyterHubAuthPlugin: the
                groups below say who takes which course).
    instructors the hub's admins; members of formgrade-<course>, the only ones who may open the
                grader service at /services/<course>/ (Formgrader, on the course folder).
    grader      the service <course> runs as the unix user grader-<course> where it exists (the
                account that owns the course folder), with the gradebook at COURSE_DB_URL; so does
                <course>-check, Check my work (deploy/check_service.py, docs/check.md), which the
                course's students and instructors may open at /services/<course>-check/ and reach
                from "Check my work" at the top of JupyterLab's Help menu.

The course folder and the gradebook are the grader's alone (deploy/privacy.py): with per-student
accounts the hub refuses to start while another account can read them, or while a student's
server would need something inside them (the python, helpers/, the data, the students' Jupyter
configuration must be readable by every account). Students' servers get the variables named in
Spawner.environment and nothing of the hub's own environment (no COURSE_DB_URL, no token): the
hub refuses to start if one of them holds the database URL, its password or a token it knows.

Several courses can share one hub: path_includes_course keeps their exchange folders apart, and
each course has its own two groups and its own service (add a block per course below).

Everything is set by the environment (defaults in brackets):
    COURSE_ID [dl-course]          the nbgrader course id (nbgrader_config.py's)
    COURSE_ROOT [this repository]  the course folder the grader works in
    COURSE_EXCHANGE [/srv/nbgrader/exchange]  nbgrader's exchange (created world-writable, sticky)
    COURSE_DB_URL [sqlite in the course folder]  the gradebook: postgresql://... for a class,
                                   without a password (peer authentication or ~/.pgpass: docs/deployment.md)
    COURSE_INSTRUCTORS [instructor]  comma-separated logins
    COURSE_STUDENTS / COURSE_STUDENTS_FILE [deploy/students.txt]  logins, comma- or line-separated
    COURSE_HUB_BIND_URL [http://127.0.0.1:8000]  where students connect (TLS: docs/deployment.md)
    COURSE_HUB_SSL_CERT, COURSE_HUB_SSL_KEY  TLS served by the proxy itself
    COURSE_HUB_API_PORT [8081], COURSE_HUB_PROXY_API_PORT [8001], COURSE_HUB_GRADER_PORT [9999],
    COURSE_HUB_CHECK_PORT [9998]   Check my work; COURSE_CHECK_WORKERS [cores], COURSE_CHECK_QUEUE
                                   [1000], COURSE_CHECK_PER_STUDENT [2] (deploy/check_service.py)
    COURSE_HUB_STATE [build/hub]   the hub's database and cookie secret
    COURSE_HUB_AUTH [native]       native | pam (| dummy, tests only: COURSE_HUB_TESTING=1)
    COURSE_HUB_SPAWNER [localprocess]  localprocess | simple (everyone as the hub's user: no file
                                   isolation between students; for a trial on a laptop only)
    COURSE_HUB_USER_PYTHON [the course environment's python]  what runs the students' servers and
                                   kernels: it must be readable by every student; where the
                                   environment's python is private (pyenv under /root), a view of it
                                   through the system's python of the same version is made beside
                                   COURSE_HUB_STATE (deploy/user_env.py)
"""
import importlib.util
import json
import os
import pwd
import shutil
import stat
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

DEPLOY = Path(__file__).resolve().parent
sys.path.insert(0, str(DEPLOY))
import privacy  # noqa: E402
import user_env  # noqa: E402

REPO = DEPLOY.parent
env = os.environ.get
ENV_PREFIX = Path(sys.prefix)               # the course environment JupyterHub runs from

COURSE = env("COURSE_ID", "dl-course")
COURSE_ROOT = Path(env("COURSE_ROOT", str(REPO))).resolve()
EXCHANGE = Path(env("COURSE_EXCHANGE", "/srv/nbgrader/exchange"))
STATE = Path(env("COURSE_HUB_STATE", str(REPO / "build" / "hub")))
TESTING = env("COURSE_HUB_TESTING") == "1"
GRADER = f"grader-{COURSE}"
CHECK = f"{COURSE}-check"


def _logins(value):
    return [x.strip() for x in value.replace("\n", ",").split(",") if x.strip() and not x.strip().startswith("#")]


def _students():
    names = _logins(env("COURSE_STUDENTS", ""))
    path = Path(env("COURSE_STUDENTS_FILE", str(DEPLOY / "students.txt")))
    if path.exists():
        names += _logins(path.read_text())
    return sorted(set(names))


INSTRUCTORS = _logins(env("COURSE_INSTRUCTORS", "instructor"))
STUDENTS = [s for s in _students() if s not in INSTRUCTORS]

# --- where it listens -------------------------------------------------------------------------
STATE.mkdir(parents=True, exist_ok=True)
os.chmod(STATE, 0o700)

# --- the python of the students' servers (deploy/user_env.py) ---------------------------------
if env("COURSE_HUB_USER_PYTHON"):
    USER_PYTHON = Path(env("COURSE_HUB_USER_PYTHON"))
else:
    try:
        _python, _note = user_env.user_python(STATE.parent / f"{STATE.name}-user-env")
    except RuntimeError as err:
        sys.exit(f"students could not run the course environment: {err}. Install the course where every "
                 f"account can read it (docs/deployment.md)")
    USER_PYTHON = Path(_python)
    if _note:
        print(f"course hub: {_note}", file=sys.stderr)
c.JupyterHub.bind_url = env("COURSE_HUB_BIND_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env("COURSE_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('COURSE_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [str(DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy")]
if env("COURSE_HUB_SSL_CERT"):
    c.JupyterHub.ssl_cert = env("COURSE_HUB_SSL_CERT")
    c.JupyterHub.ssl_key = env("COURSE_HUB_SSL_KEY")
c.JupyterHub.db_url = env("COURSE_HUB_DB_URL", f"sqlite:///{STATE / 'jupyterhub.sqlite'}")
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# --- who may log in ----------------------------------------------------------------------------
AUTH = env("COURSE_HUB_AUTH", "native")
if AUTH == "dummy":
    if not TESTING:
        sys.exit("COURSE_HUB_AUTH=dummy lets anyone in with a shared password: it is for the tests "
                 "only (COURSE_HUB_TESTING=1). Use native (the default) or pam.")
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = env("COURSE_HUB_TEST_PASSWORD") or sys.exit("COURSE_HUB_TEST_PASSWORD is not set")
elif AUTH == "pam":
    c.JupyterHub.authenticator_class = "pam"     # the machine's unix accounts and passwords
elif AUTH == "native":
    # Students sign up at /hub/signup with their university login as user name; an instructor
    # (a hub admin) approves each at /hub/authorize. Only the logins listed here may sign up.
    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.minimum_password_length = 10
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = 5
    c.NativeAuthenticator.seconds_before_next_try = 60
    c.JupyterHub.template_paths = [f"{os.path.dirname(__import__('nativeauthenticator').__file__)}/templates/"]
else:
    sys.exit(f"COURSE_HUB_AUTH={AUTH!r}: expected native or pam")
c.Authenticator.admin_users = set(INSTRUCTORS)
c.Authenticator.allowed_users = set(INSTRUCTORS) | set(STUDENTS) | {GRADER}

# --- groups and roles: nbgrader's JupyterHubAuthPlugin reads the groups -----------------------
c.JupyterHub.load_groups = {
    f"formgrade-{COURSE}": {"users": sorted(set(INSTRUCTORS) | {GRADER})},
    f"nbgrader-{COURSE}": {"users": STUDENTS},
}
c.JupyterHub.load_roles = [
    # A user's server asks the hub which groups (courses) its user is in.
    {"name": "server", "scopes": ["inherit"]},
    # Formgrader (the service) is for the course's instructors and grader only.
    {"name": f"formgrade-{COURSE}", "groups": [f"formgrade-{COURSE}"],
     "scopes": [f"access:services!service={COURSE}", f"read:services!service={COURSE}", "list:services",
                f"access:services!service={CHECK}"]},
    # Students may use Check my work (the service knows them by the hub's OAuth, nothing else).
    {"name": f"nbgrader-{COURSE}", "groups": [f"nbgrader-{COURSE}"],
     "scopes": ["list:services", f"read:services!service={COURSE}", f"access:services!service={CHECK}"]},
    # The service adds students to nbgrader-<course> when an instructor adds them in Formgrader.
    {"name": f"service-{COURSE}", "services": [COURSE],
     "scopes": ["list:users", "read:users", "read:groups", "list:groups", "groups"]},
]

# --- every student's server: the course environment, one thread, nbgrader's student side -----
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
COMMON_ENV = {
    **THREADS,
    "PATH": f"{USER_PYTHON.parent}:{ENV_PREFIX / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "JUPYTER_PATH": str(ENV_PREFIX / "share" / "jupyter"),   # JupyterLab's and nbgrader's extensions
    "COURSE_EXCHANGE": str(EXCHANGE),
    "PYTHONNOUSERSITE": "1",     # a student's ~/.local must not shadow the course's packages
}
ENV_CONFIG = str(ENV_PREFIX / "etc" / "jupyter")
if env("FASHION_MNIST_DIR"):
    COMMON_ENV["FASHION_MNIST_DIR"] = env("FASHION_MNIST_DIR")
# The students' Jupyter configuration: deploy/config/student, or, where the repository is the
# private course folder, a copy in the course environment, refreshed at every start.
STUDENT_CONFIG = DEPLOY / "config" / "student"
if os.getuid() == 0 and user_env.closed_to_others(STUDENT_CONFIG):
    shared = ENV_PREFIX / "etc" / "dl-course-student"
    shutil.copytree(STUDENT_CONFIG, shared, dirs_exist_ok=True)
    for top, dirs, files in os.walk(shared):
        for path in [top, *(os.path.join(top, f) for f in files)]:
            os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    STUDENT_CONFIG = shared
c.Spawner.cmd = [str(USER_PYTHON), "-m", "jupyterhub.singleuser"]
# Check my work in the lab: a Help menu entry that opens the service's page in a new tab
# (JupyterLab's own help:open command, set by a settings override: no lab extension to build; a
# notebook-toolbar override would replace the toolbar's default items). The override names this
# course's service, so it is written at every start, world-readable, beside the hub's state
# (docs/check.md says why this and not a lab extension).
LAB_SETTINGS = STATE.parent / f"{STATE.name}-lab-settings"
LAB_SETTINGS.mkdir(exist_ok=True)
os.chmod(LAB_SETTINGS, 0o755)
_check = {"command": "help:open", "args": {"url": f"/services/{CHECK}/", "text": "Check my work", "newBrowserTab": True}}
(LAB_SETTINGS / "overrides.json").write_text(json.dumps({
    "@jupyterlab/mainmenu-extension:plugin": {"menus": [
        {"id": "jp-mainmenu-help", "items": [{**_check, "rank": 0}]}]},
}, indent=1))
os.chmod(LAB_SETTINGS / "overrides.json", 0o644)
c.Spawner.args = [f"--LabApp.app_settings_dir={LAB_SETTINGS}"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.env_keep = []        # nothing of the hub's own environment: only what is named here
c.Spawner.environment = {**COMMON_ENV, "JUPYTER_CONFIG_PATH": f"{STUDENT_CONFIG}:{ENV_CONFIG}"}
DB_URL = env("COURSE_DB_URL", "").strip()
HUB_SECRETS = [DB_URL, privacy.password_of(DB_URL), env("CONFIGPROXY_AUTH_TOKEN"), env("JUPYTERHUB_CRYPT_KEY")]
_leaked = privacy.leaks(c.Spawner.environment, HUB_SECRETS)
if _leaked:
    sys.exit(f"the students' servers would get the database URL, its password or a hub token in "
             f"{', '.join(_leaked)}: remove it from what deploy/jupyterhub_config.py passes them")
if privacy.password_of(DB_URL):
    print("course hub: COURSE_DB_URL holds a password; every process of the grader gets it. Prefer "
          "PostgreSQL's peer authentication (postgresql://grader@/dlcourse) or a password "
          "file only the grader reads (~/.pgpass, 0600): docs/deployment.md, \"The gradebook\"", file=sys.stderr)
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 120
SPAWNER = env("COURSE_HUB_SPAWNER", "localprocess")
if SPAWNER == "simple":
    print("course hub: COURSE_HUB_SPAWNER=simple runs every server as the hub's own user: no file "
          "isolation between students (a trial only)", file=sys.stderr)
    c.JupyterHub.spawner_class = "simple"
else:
    # Each student's server runs as their own unix account (`useradd -m <login>`), so nbgrader's
    # exchange permissions keep one student's submissions and feedback from the others.
    c.JupyterHub.spawner_class = "localprocess"
    if os.getuid() != 0:
        sys.exit("the course hub starts each student's server as that student's unix account, which "
                 "needs root (sudo make hub); for a one-user trial: COURSE_HUB_SPAWNER=simple make hub")

    # The course folder and the gradebook: the grader account's alone.
    closed_course = privacy.problems(COURSE_ROOT, GRADER, STUDENTS, DB_URL)
    if closed_course:
        sys.exit("the course is not private: " + "; ".join(closed_course) + f". Give it to the grader "
                 f"account: `useradd --system --user-group {GRADER}` (once), then `python deploy/privacy.py "
                 f"{COURSE_ROOT} {GRADER}` (docs/deployment.md)")

    # What the students' servers run: readable by every account, hence outside the course folder.
    _path, sys.path[:] = sys.path[:], [p for p in sys.path if p not in ("", ".", os.getcwd())]
    try:       # helpers/ as a student's server finds it: not in the hub's working folder
        _helpers = importlib.util.find_spec("helpers")
    finally:
        sys.path[:] = _path
    needed = [USER_PYTHON, Path(os.path.realpath(USER_PYTHON)).parent.parent / "lib", ENV_PREFIX, STUDENT_CONFIG]
    needed += [Path(_helpers.origin).parent] if _helpers and _helpers.origin else []
    needed += [Path(env("FASHION_MNIST_DIR"))] if env("FASHION_MNIST_DIR") else []
    for path in needed:
        closed = user_env.closed_to_others(path)
        if closed:
            sys.exit(f"students could not run the course environment: {closed} (on the way to {path}) is "
                     f"closed to other users. Make the environment outside the course folder, where every "
                     f"account can read it, with copies of helpers/ and grading/: "
                     f"`make venv VENV=/opt/dl-course-env PYTHON=/usr/bin/python3 EDITABLE=0`, then "
                     f"`make hub VENV=/opt/dl-course-env`; or point COURSE_HUB_USER_PYTHON at a "
                     f"world-readable python that sees this environment "
                     f"(docs/deployment.md)")

# --- the exchange: world-writable and sticky, as nbgrader expects ------------------------------
EXCHANGE.mkdir(parents=True, exist_ok=True)
if os.stat(EXCHANGE).st_uid == os.getuid():
    os.chmod(EXCHANGE, 0o777 | stat.S_ISVTX)

# --- the grader service: Formgrader on the course folder, for formgrade-<course> only ----------
try:
    pwd.getpwnam(GRADER)
    grader_user = {"user": GRADER}
except KeyError:   # no grader account on this machine: the service runs as the hub's user
    grader_user = {}
GRADER_PORT = int(env("COURSE_HUB_GRADER_PORT", "9999"))
grader_env = {**COMMON_ENV, "JUPYTER_CONFIG_PATH": f"{DEPLOY / 'config' / 'grader'}:{ENV_CONFIG}",
              "JUPYTERHUB_USER": GRADER, "JUPYTERHUB_DEFAULT_URL": "/lab"}
if DB_URL:
    grader_env["COURSE_DB_URL"] = DB_URL       # the grader's service only, never a student's server
c.JupyterHub.services = [{
    "name": COURSE,
    "url": f"http://127.0.0.1:{GRADER_PORT}",
    "command": [str(USER_PYTHON), "-m", "jupyterhub.singleuser", f"--ServerApp.root_dir={COURSE_ROOT}",
                "--ServerApp.allow_root=True"],
    "cwd": str(COURSE_ROOT),
    "environment": grader_env,
    "oauth_no_confirm": True,
    **grader_user,
}]

# --- Check my work: the students' checks, graded as `make grade` grades (deploy/check_service.py) ---
CHECK_PORT = int(env("COURSE_HUB_CHECK_PORT", "9998"))
check_env = {**grader_env, "JUPYTERHUB_USER": GRADER, "COURSE_ID": COURSE, "COURSE_ROOT": str(COURSE_ROOT),
             "PYTHONPATH": str(REPO)}   # grading/ of this checkout, as `make grade` runs it
for name in ("COURSE_CHECK_WORKERS", "COURSE_CHECK_QUEUE", "COURSE_CHECK_PER_STUDENT", "COURSE_HELDOUT_SECRET"):
    if env(name):
        check_env[name] = env(name)
check_env.pop("JUPYTER_CONFIG_PATH", None)
# where the service reaches the students' servers (through the proxy, as their browsers do)
check_env["COURSE_HUB_URL"] = c.JupyterHub.bind_url.replace("://0.0.0.0", "://127.0.0.1").replace("://[::]", "://127.0.0.1")
c.JupyterHub.services.append({
    "name": CHECK,
    "url": f"http://127.0.0.1:{CHECK_PORT}",
    "command": [str(USER_PYTHON), str(DEPLOY / "check_service.py"), "--course", str(COURSE_ROOT)]
               + (["--no-sandbox"] if env("COURSE_CHECK_SANDBOX") == "0" else []),
    "cwd": str(COURSE_ROOT),
    "environment": check_env,
    "oauth_no_confirm": True,
    # The token the hub's OAuth gives the service for a student may reach that student's own server
    # (and nothing else of theirs): Check reads the notebook from there (docs/check.md).
    "oauth_client_allowed_scopes": ["access:servers!user"],
    **grader_user,
})
