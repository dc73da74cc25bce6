"""Check my work on the course hub (deploy/check_service.py), all on 127.0.0.1.

`make hub`'s JupyterHub (deploy/jupyterhub_config.py, the test-only dummy authenticator) starts the
check service as a throwaway grader account that owns a scratch course, whose demo class of
lesson 1 was graded by `make grade`'s pipeline first. Through the service's API, with the tokens
the hub gives two students: a check answers with the verdicts `make grade` recorded for the same
notebook and nothing of the hidden tests; the N+1-th check in the hour is refused; a check after
the deadline is refused, and allowed again once the student has an extension, which the service
shows them and nobody else. Security, with the second student's credentials: they cannot check
in the first one's name, read the first one's checks, or raise their own limit. Check without a
file reads the notebook from the student's own running server, and another student cannot make
the service read it. Then a student in headless Chromium logs in, opens the page from their lab's
Help menu, presses Check (no file to choose) and sees the verdicts.
"""
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import hub_support
from conftest import REPO
from grading import check_store, course, demo, grader, late, sandbox
from test_check import graded_by_make_grade
from test_grading_e2e import hidden_lines

import sys
sys.path.insert(0, str(REPO / "deploy"))
import privacy  # noqa: E402

NAME = "01_tensor_basics"
FILE = f"{NAME}.ipynb"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub_support.require_hub_tools()
    base = Path(tempfile.mkdtemp(prefix="hubc-", dir="/tmp"))
    os.chmod(base, 0o755)
    tag = os.urandom(3).hex()
    course_id = f"k{tag}"
    grader_account = f"grader-{course_id}"
    students = [f"ck{tag}a", f"ck{tag}b", f"ck{tag}c"]
    homes = base / "home"
    homes.mkdir(mode=0o755)
    root = demo.make_course(base / "course", [NAME])
    demo.write_class(root, NAME)
    settings = grader.Settings(workers=2, sandbox=sandbox.bwrap_available())
    grader.grade(root, NAME, settings, out=lambda *_: None, progress=False)
    api = course.nbgrader_api(root)
    from nbgrader.api import Gradebook
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        check_store.set_limits(gb.db, NAME, check_store.Limits(per_hour=3, per_day=None, total=None))
        gb.db.commit()
    try:
        with hub_support.unix_users(students + [grader_account], homes) as accounts:
            privacy.secure(root, grader_account)
            hub_env = dict(COURSE_ROOT=str(root), COURSE_EXCHANGE=str(base / "exchange"), COURSE_ID=course_id,
                           COURSE_INSTRUCTORS=f"ck{tag}t", COURSE_STUDENTS=",".join(students),
                           COURSE_CHECK_WORKERS="2", COURSE_HUB_CHECK_PORT=str(hub_support.free_ports(1)[0]), COURSE_CHECK_SANDBOX=str(int(sandbox.bwrap_available())))
            (base / "state").mkdir()
            with hub_support.running_hub(base / "state", hub_env) as h:
                h.root, h.course_id, h.students, h.accounts, h.base = root, course_id, students, accounts, base
                h.check = f"/services/{course_id}-check/"
                yield h
    finally:
        shutil.rmtree(base, ignore_errors=True)


def wait_for_service(hub, token, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        r = hub.api("GET", hub.check + "api/assignments", token=token)
        if r.status_code == 200:
            return r.json()
        assert time.monotonic() < deadline, f"the check service did not answer ({r.status_code}):\n{hub.tail()}"
        time.sleep(0.5)


def notebook_of(hub, demo_student):
    return json.loads((hub.root / "submitted" / demo_student / NAME / FILE).read_text())


def ask(hub, token, notebook, **extra):
    return hub.api("POST", hub.check + f"api/checks/{NAME}", token=token, json={"notebooks": {FILE: notebook}, **extra})


def verdict_of(hub, token, check_id, timeout=180):
    deadline = time.monotonic() + timeout
    while True:
        r = hub.api("GET", hub.check + f"api/checks/{check_id}", token=token)
        assert r.status_code == 200, r.text
        if r.json()["state"] in ("done", "failed"):
            return r.json()
        assert time.monotonic() < deadline, f"no verdict in {timeout} s:\n{hub.tail()}"
        time.sleep(0.3)


def test_checks_through_the_api(hub):
    first, second, _ = hub.students
    t1, t2 = hub.login(first), hub.login(second)
    listed = wait_for_service(hub, t1)
    assert [a["assignment"] for a in listed] == [NAME] and listed[0]["left"].startswith("3 of 3")
    secrets = hidden_lines(NAME)
    answers = []
    for n, demo_student in enumerate(("alice", "carol", "bob")):
        r = ask(hub, t1, notebook_of(hub, demo_student))
        assert r.status_code == 202, r.text
        assert r.json()["left"].startswith(f"{2 - n} of 3 checks left this hour"), r.json()
        done = verdict_of(hub, t1, r.json()["id"])
        assert done["state"] == "done", done["reason"]
        mine = {v["grade_id"]: (v["points"], v["message"]) for v in done["result"]["verdicts"]}
        assert mine == graded_by_make_grade(hub.root, NAME, demo_student), demo_student
        answers.append(r.text + json.dumps(done))
    assert not [line for line in secrets if any(line in text for text in answers)]
    # the fourth in the hour is refused, and says so
    r = ask(hub, t1, notebook_of(hub, "alice"))
    assert r.status_code == 429 and "no checks left this hour" in r.json()["reason"], r.text
    assert r.json()["left"].startswith("0 of 3")
    mine = hub.api("GET", hub.check + f"api/checks/{NAME}", token=t1).json()
    assert [c["state"] for c in mine] == ["refused", "done", "done", "done"]
    first_id = mine[1]["id"]

    # The second student: nothing of the first's, and no way around their own limits.
    assert hub.api("GET", hub.check + f"api/checks/{first_id}", token=t2).status_code == 404
    assert hub.api("GET", hub.check + f"api/checks/{NAME}", token=t2).json() == []
    assert hub.api("GET", hub.check + f"api/checks?assignment={NAME}&student={first}", token=t2).status_code == 403
    r = ask(hub, t2, notebook_of(hub, "alice"), student=first)
    assert r.status_code == 403, r.text
    for method, path, body in (("PUT", "api/limits", {"per_hour": 100}), ("POST", f"api/limits/{NAME}", {"per_hour": 100}),
                               ("POST", f"api/checks/{NAME}", {"notebooks": {FILE: notebook_of(hub, "alice")},
                                                              "limits": {"per_hour": 100}, "per_hour": 100})):
        hub.api(method, hub.check + path, token=t2, json=body)
    for _ in range(2):
        assert ask(hub, t2, notebook_of(hub, "bob")).status_code == 202
    r = ask(hub, t2, notebook_of(hub, "bob"))
    assert r.status_code == 429, "a student raised their own limit"
    # nobody without a hub login
    assert hub.api("GET", hub.check + "api/assignments", allow_redirects=False).status_code in (302, 403)
    assert hub.api("POST", hub.check + f"api/checks/{NAME}", json={"notebooks": {}},
                   allow_redirects=False).status_code in (302, 403)


def test_the_deadline_and_an_extension_through_the_api(hub):
    _, _, third = hub.students
    token = hub.login(third)
    wait_for_service(hub, token)
    late.set_due_date(hub.root, NAME, "2026-01-01 12:00:00 UTC")     # passed: checks refused
    r = ask(hub, token, notebook_of(hub, "alice"))
    assert r.status_code == 403 and "deadline (2026-01-01 12:00 UTC) has passed" in r.json()["reason"], r.text
    late.set_extension(hub.root, NAME, third, until="2099-01-01 12:00:00 UTC")
    listed = hub.api("GET", hub.check + "api/assignments", token=token).json()
    assert listed[0]["deadline"] == "2099-01-01 12:00 UTC" and not listed[0]["late"]
    others = hub.api("GET", hub.check + "api/assignments", token=hub.login(hub.students[0])).json()
    assert others[0]["deadline"] == "2026-01-01 12:00 UTC" and others[0]["late"]
    r = ask(hub, token, notebook_of(hub, "carol"))
    assert r.status_code == 202, r.text
    assert verdict_of(hub, token, r.json()["id"])["result"]["score"] == demo.expected_scores(NAME)["carol"]


def working_on(hub, student, demo_student):
    """`student`'s server runs, with the notebook `demo_student` handed in at <course>/<NAME>/ in
    their home (where the lab's fetch puts it); the extension makes any due date moot."""
    token = hub.login(student)
    late.set_extension(hub.root, NAME, student, until="2099-01-01 12:00:00 UTC")
    if not hub.api("GET", f"/hub/api/users/{student}", token=token).json().get("servers"):
        hub.start_server(student, token)
    account = hub.accounts[student]
    folder = Path(account.pw_dir) / hub.course_id / NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILE).write_text(json.dumps(notebook_of(hub, demo_student)))
    for path in (folder.parent, folder, folder / FILE):
        shutil.chown(path, account.pw_uid, account.pw_gid)
    return token


def test_only_the_students_own_server_is_read(hub):
    """Check without a file: the service reads the notebook from the requester's own server, with
    the requester's own token; another student gets nothing of it, whatever they send."""
    first, second, third = hub.students
    token = working_on(hub, third, "carol")
    wait_for_service(hub, token)
    r = hub.api("GET", hub.check + f"api/mine/{NAME}", token=token)
    assert r.status_code == 200, r.text
    assert r.json()["paths"] == [f"{hub.course_id}/{NAME}/{FILE}"]
    sources = lambda nb: ["".join(c["source"]) for c in nb["cells"]]   # noqa: E731 (the server adds metadata)
    assert sources(json.loads(r.json()["notebooks"][FILE])) == sources(notebook_of(hub, "carol"))
    # The second student (no server running) cannot make the service read the third one's.
    other = hub.login(second)
    before = hub.api("GET", hub.check + f"api/checks/{NAME}", token=other).json()
    secret = json.dumps(notebook_of(hub, "carol")["cells"][-1])[:200]
    for method, path, body in (("GET", f"api/mine/{NAME}", None), ("GET", f"api/mine/{NAME}?student={third}", None),
                               ("POST", f"api/checks/{NAME}", {"from_server": True}),
                               ("POST", f"api/checks/{NAME}", {"from_server": True, "student": third})):
        r = hub.api(method, hub.check + path, token=other, json=body)
        assert r.status_code in (403, 404, 502), (path, body, r.status_code, r.text)
        assert secret not in r.text and "carol" not in r.text
    assert hub.api("GET", hub.check + f"api/checks/{NAME}", token=other).json() == before   # nothing counted
    assert "Authorization: token" not in hub.tail(10**6) and token not in hub.tail(10**6)


def test_check_without_a_file_checks_the_saved_notebook(hub):
    third = hub.students[2]
    token = working_on(hub, third, "carol")
    r = hub.api("POST", hub.check + f"api/checks/{NAME}", token=token, json={"from_server": True})
    assert r.status_code == 202, r.text
    assert verdict_of(hub, token, r.json()["id"])["result"]["score"] == demo.expected_scores(NAME)["carol"]
    assert token not in hub.tail(10**6)


@pytest.mark.browser
def test_a_student_presses_check_in_the_lab_and_sees_the_verdicts(hub):
    """Headless Chromium: log in at the hub, open the assignment in JupyterLab, choose Help > Check
    my work and press Check on the page it opens (no file to choose: the service reads the notebook
    from the student's own server); the verdicts appear."""
    import browser_support as bs
    if not Path(bs.CHROMIUM).exists():
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{bs.CHROMIUM} is missing (CI is set)")
        pytest.skip(f"Debian's chromium ({bs.CHROMIUM}) is not installed")
    from playwright.sync_api import sync_playwright
    student = hub.students[2]   # 2 of their 3 checks used by the deadline test and the one above
    working_on(hub, student, "carol")
    bs.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=bs.CHROMIUM, headless=True, args=bs.CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(180_000)
        try:
            page.goto(hub.url + "/hub/login")
            page.fill("input[name=username]", student)
            page.fill("input[name=password]", hub.password)
            page.click("#login_submit")
            page.wait_for_url("**/user/**")
            page.goto(hub.url + f"/user/{student}/lab/tree/{hub.course_id}/{NAME}/{FILE}")
            page.locator(".jp-NotebookPanel-toolbar").wait_for()
            check = _open_from_help_menu(page, context, "Check my work")
            check.set_default_timeout(180_000)
            box = check.locator(f"section[data-assignment='{NAME}']")
            box.locator("button.check").click()   # no file to choose: the notebook they work on
            box.locator("table.verdicts").wait_for()
            check.screenshot(path=bs.ARTIFACTS / "check_my_work.png")
            text = box.inner_text()
            assert f"checking {hub.course_id}/{NAME}/{FILE} from your server" in text, text
            expected = demo.expected_scores(NAME)
            assert f"{expected['carol']:g} of {expected['alice']:g} points" in text, text
            assert "2099-01-01 12:00 UTC" in text          # the student's own deadline
            failed = [line for line in text.splitlines() if "failed" in line]
            assert failed and "test_gradient_partial" in failed[0], text
        except Exception:
            for n, shown in enumerate(context.pages):
                shown.screenshot(path=bs.ARTIFACTS / f"failed_check_my_work_{n}.png")
            raise
        finally:
            browser.close()


def _open_from_help_menu(page, context, label, attempts=5):
    """Click Help > `label` and return the page it opens. JupyterLab may rebuild its menus while
    its extensions load, detaching an open menu's items: then the menu is opened again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for attempt in range(attempts):
        page.locator(".lm-MenuBar-itemLabel", has_text="Help").click()
        try:
            with context.expect_page(timeout=60_000) as opened:
                page.locator(".lm-Menu-itemLabel", has_text=label).click(timeout=20_000)
            return opened.value
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
