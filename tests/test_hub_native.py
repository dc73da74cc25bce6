"""The hub's real authenticator, NativeAuthenticator (the default of `make hub`): a listed student
signs up with a password of their own and then logs in through the REST API; a wrong password,
a weak password and a login nobody approved get no token."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

import hub_support


@pytest.fixture
def scratch():
    base = Path(tempfile.mkdtemp(prefix="hubn-", dir="/tmp"))
    os.chmod(base, 0o755)
    (base / "state").mkdir()
    yield base
    shutil.rmtree(base, ignore_errors=True)


def sign_up(hub, name, password):
    """Sign up through the form, as a browser does (the form's XSRF token from its cookie)."""
    s = requests.Session()
    s.get(hub.url + "/hub/signup", timeout=30).raise_for_status()
    xsrf = s.cookies.get("_xsrf")
    r = s.post(hub.url + "/hub/signup", timeout=30, data={
        "username": name, "signup_password": password, "signup_password_confirmation": password, "_xsrf": xsrf})
    assert r.status_code == 200, r.text[:300]
    return r.text


def token_status(hub, name, password):
    return hub.api("POST", f"/hub/api/users/{name}/tokens",
                   json={"auth": {"username": name, "password": password}}).status_code


def test_sign_up_then_log_in_with_the_real_authenticator(scratch):
    (scratch / "course").mkdir(mode=0o750)      # private, as the hub requires
    env = dict(COURSE_INSTRUCTORS="ada", COURSE_STUDENTS="jdoe", COURSE_EXCHANGE=str(scratch / "exchange"),
               COURSE_ROOT=str(scratch / "course"))
    with hub_support.running_hub(scratch / "state", env, dummy=False) as hub:
        assert "NativeAuthenticator" in hub.tail(100_000)
        good = "correct-horse-battery-staple"
        assert token_status(hub, "jdoe", good) == 403, "a login that never signed up got a token"
        sign_up(hub, "jdoe", good)
        assert token_status(hub, "jdoe", good) in (200, 201)
        assert token_status(hub, "jdoe", good + "x") == 403
        sign_up(hub, "mallory", good)          # not on the roster: waits for an instructor
        assert token_status(hub, "mallory", good) == 403
        sign_up(hub, "ada", "password")        # a common password is refused at sign-up
        assert token_status(hub, "ada", "password") == 403
