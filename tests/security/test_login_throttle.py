"""Every way to sign in shares one throttle (config/login_throttle.py), per address and account
and per address: the pages' login, the admin's, the browsable API's and a single sign-on callback
all count on the same counter, and a lock on one is a lock on all. A locked sign-in answers 429
with Retry-After without trying the password; success clears the count; an unreachable cache lets
staff in rather than locking everyone out."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from config.login_throttle import throttle_keys
from tests.factories import UserFactory
from tests.security import urls as security_urls

pytestmark = pytest.mark.urls("tests.security.urls")

ADMIN_LOGIN = "/admin/login/"
PAGES_LOGIN = "/accounts/login/"
API_LOGIN = "/api-auth/login/"
SSO_CALLBACK = "/sso/callback/"
FORMS = (ADMIN_LOGIN, PAGES_LOGIN, API_LOGIN)
THROTTLE = "config.login_throttle.LoginThrottleMiddleware"
BACKEND = "config.login_throttle.LoginThrottleBackend"
PASSWORD = "a-long-and-correct-password"
ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def throttled(settings):
    """Small limits; the middleware and backend themselves come from the base settings."""
    settings.LOGIN_THROTTLE_FAILURES = 3
    settings.LOGIN_THROTTLE_IP_FAILURES = 10
    settings.LOGIN_THROTTLE_WINDOW = 600
    security_urls.ASSERTED["username"] = None


@pytest.fixture
def staff(db):
    user = UserFactory(username="finance.lead", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, username, password, address=ADDRESS, path=ADMIN_LOGIN):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", FORMS)
def test_login__failures_up_to_the_limit__form_comes_back(staff, path):
    client = Client()
    for _ in range(3):
        assert _login(client, "finance.lead", "wrong", path=path).status_code == 200


@pytest.mark.parametrize("path", FORMS)
def test_login__over_the_limit__429_even_with_the_right_password(staff, path):
    # Given three failures for one account from one address on this form
    client = Client()
    for _ in range(3):
        _login(client, "finance.lead", "wrong", path=path)

    # When the right password comes next
    response = _login(client, "finance.lead", PASSWORD, path=path)

    # Then it is refused without being tried, and says when to come back
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert not _signed_in(client)


def test_login__admin_locked__pages_login_refuses_the_same_password_too(staff):
    # Given the account locked at the admin's login (the probe's finding)
    for _ in range(3):
        _login(Client(), "finance.lead", "wrong", path=ADMIN_LOGIN)
    assert _login(Client(), "finance.lead", PASSWORD, path=ADMIN_LOGIN).status_code == 429

    # When the right password is tried at the pages' login and the browsable API's
    client = Client()
    pages = _login(client, "finance.lead", PASSWORD, path=PAGES_LOGIN)
    api = _login(client, "finance.lead", PASSWORD, path=API_LOGIN)

    # Then both are locked too: no session that could open /admin/
    assert (pages.status_code, api.status_code) == (429, 429)
    assert not _signed_in(client)
    assert client.get("/admin/", REMOTE_ADDR=ADDRESS).status_code == 302


def test_login__failures_spread_over_every_form__one_counter(staff):
    # Given one failure on each of the three forms
    for path in FORMS:
        assert _login(Client(), "finance.lead", "wrong", path=path).status_code == 200

    # When the account tries again anywhere, then it is locked
    assert _login(Client(), "finance.lead", PASSWORD, path=PAGES_LOGIN).status_code == 429


def test_sso_callback__public_functions__same_counter_as_the_forms(staff):
    # Given two failures at the pages' login and one refused assertion at the SSO callback
    for _ in range(2):
        _login(Client(), "finance.lead", "wrong", path=PAGES_LOGIN)
    refused = Client().post(SSO_CALLBACK, {"claimed": "finance.lead"}, REMOTE_ADDR=ADDRESS)
    assert refused.status_code == 403

    # When the identity provider now vouches for the account, and the form is tried too
    security_urls.ASSERTED["username"] = "finance.lead"
    client = Client()
    callback = client.post(SSO_CALLBACK, {"claimed": "finance.lead"}, REMOTE_ADDR=ADDRESS)
    form = _login(Client(), "finance.lead", PASSWORD, path=ADMIN_LOGIN)

    # Then both are locked: the callback's failure counted with the forms'
    assert callback.status_code == 429 and callback["Retry-After"] == "600"
    assert form.status_code == 429
    assert not _signed_in(client)


def test_sso_callback__success__clears_the_account_count(staff):
    for _ in range(2):
        _login(Client(), "finance.lead", "wrong", path=PAGES_LOGIN)
    security_urls.ASSERTED["username"] = "finance.lead"

    assert Client().post(SSO_CALLBACK, {"claimed": "finance.lead"}, REMOTE_ADDR=ADDRESS).content
    pair, _ = throttle_keys(ADDRESS, "finance.lead")
    assert cache.get(pair) is None


def test_login__address_locked__the_form_answers_plain_text_429(staff, settings):
    # Given an address locked by spraying on the browsable API's login
    settings.LOGIN_THROTTLE_IP_FAILURES = 2
    for n in range(2):
        _login(Client(), f"user{n}", "wrong", path=API_LOGIN)

    # When any account is tried from it
    response = _login(Client(), "finance.lead", PASSWORD, path=PAGES_LOGIN)

    # Then a short plain-text 429 (the page is outside /api/)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/plain")


def test_login__locked_callback_under_api__429_json(staff, settings, rf):
    from config.login_throttle import LoginLocked, LoginThrottleMiddleware

    request = rf.post("/api/v1/oidc/callback/")
    response = LoginThrottleMiddleware(lambda r: None).process_exception(request, LoginLocked(60))

    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert json.loads(response.content) == {
        "code": "throttled",
        "detail": "Too many failed sign-in attempts. Try again in 1 minute.",
        "fields": {},
    }


def test_login__locked_pair__other_account_and_other_address_still_sign_in(staff):
    client = Client()
    for _ in range(3):
        _login(client, "finance.lead", "wrong")

    assert _login(Client(), "finance.lead", PASSWORD, address="198.51.100.9").status_code == 302
    assert _login(Client(), "someone.else", "wrong").status_code == 200


def test_login__success__clears_the_pair_count(staff):
    client = Client()
    for _ in range(2):
        _login(client, "finance.lead", "wrong")
    assert _login(client, "finance.lead", PASSWORD).status_code == 302

    again = Client()
    for _ in range(2):
        assert _login(again, "finance.lead", "wrong").status_code == 200


def test_login__spraying_many_usernames_from_one_address__address_locked(db, settings):
    settings.LOGIN_THROTTLE_IP_FAILURES = 4
    client = Client()
    for n in range(4):
        assert _login(client, f"user{n}", "wrong", path=FORMS[n % 3]).status_code == 200

    assert _login(client, "user99", "wrong").status_code == 429


def test_login__cache_keys__hold_no_username(staff):
    _login(Client(), "finance.lead", "wrong")

    pair, address = throttle_keys(ADDRESS, "Finance.Lead ")
    assert cache.get(pair) == 1 and cache.get(address) == 1
    assert "finance" not in pair and ADDRESS not in address


def test_login__cache_unreachable__sign_in_not_throttled(staff, monkeypatch):
    def refuse(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(cache, "get_many", refuse)

    assert _login(Client(), "finance.lead", PASSWORD).status_code == 302


def test_login__get_the_form__never_throttled(staff):
    client = Client()
    for _ in range(5):
        _login(client, "finance.lead", "wrong")

    assert client.get(ADMIN_LOGIN, REMOTE_ADDR=ADDRESS).status_code == 200
    assert client.get(PAGES_LOGIN, REMOTE_ADDR=ADDRESS).status_code == 200


def test_login__authenticate_without_a_request__not_counted(staff):
    # A management command checking a password (no request, no address) counts nothing.
    from django.contrib.auth import authenticate

    assert authenticate(None, username="finance.lead", password="wrong") is None
    assert cache.get(throttle_keys("", "finance.lead")[0]) is None


PRINT_WIRING = """
import json
from django.conf import settings
print(json.dumps({"middleware": settings.MIDDLEWARE,
                  "backends": settings.AUTHENTICATION_BACKENDS}))
"""


@pytest.mark.parametrize(
    "module", ["config.settings.local", "config.settings.test", "config.settings.production"]
)
def test_login_throttle__wired_in_every_settings_module(module):
    # Given each settings module, loaded in a fresh interpreter as its environment would
    env = {
        "DJANGO_SETTINGS_MODULE": module,
        "SECRET_KEY": "s" * 64,
        "ALLOWED_HOSTS": "example.org",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PRINT_WIRING],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=str(importlib.import_module("config").__path__[0] + "/.."),
    )
    wiring = json.loads(out.stdout.strip().splitlines()[-1])

    # Then the backend comes first and the middleware right after the session
    assert wiring["backends"][0] == BACKEND
    sessions = wiring["middleware"].index("django.contrib.sessions.middleware.SessionMiddleware")
    assert wiring["middleware"][sessions + 1] == THROTTLE
