"""Admin sign-in is throttled per address and username, and per address (config/login_throttle.py):
a locked sign-in answers 429 without trying the password; success clears the count; an
unreachable cache lets staff in rather than locking everyone out."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from config.login_throttle import throttle_keys
from tests.factories import UserFactory

LOGIN = "/admin/login/"
THROTTLE = "config.login_throttle.LoginThrottleMiddleware"
PASSWORD = "a-long-and-correct-password"


@pytest.fixture(autouse=True)
def throttled(settings):
    """Small limits; the middleware itself comes from the settings every environment uses."""
    settings.LOGIN_THROTTLE_FAILURES = 3
    settings.LOGIN_THROTTLE_IP_FAILURES = 10
    settings.LOGIN_THROTTLE_WINDOW = 600


@pytest.fixture
def staff(db):
    user = UserFactory(username="finance.lead", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_login__failures_up_to_the_limit__form_comes_back(staff):
    client = Client()
    for _ in range(3):
        assert _login(client, "finance.lead", "wrong").status_code == 200


def test_login__over_the_limit__429_even_with_the_right_password(staff):
    # Given three failures for one username from one address
    client = Client()
    for _ in range(3):
        _login(client, "finance.lead", "wrong")

    # When the right password comes next
    response = _login(client, "finance.lead", PASSWORD)

    # Then it is refused without being tried, and says when to come back
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "_auth_user_id" not in client.session


def test_login__locked_pair__other_username_and_other_address_still_sign_in(staff):
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
        assert _login(client, f"user{n}", "wrong").status_code == 200

    assert _login(client, "user99", "wrong").status_code == 429


def test_login__cache_keys__hold_no_username(staff):
    _login(Client(), "finance.lead", "wrong")

    pair, address = throttle_keys("203.0.113.7", "Finance.Lead ")
    assert cache.get(pair) == 1 and cache.get(address) == 1
    assert "finance" not in pair and "203.0.113.7" not in address


def test_login__cache_unreachable__sign_in_not_throttled(staff, monkeypatch):
    def refuse(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(cache, "get_many", refuse)

    assert _login(Client(), "finance.lead", PASSWORD).status_code == 302


def test_login__get_the_form__never_throttled(staff):
    client = Client()
    for _ in range(5):
        _login(client, "finance.lead", "wrong")

    assert client.get(LOGIN, REMOTE_ADDR="203.0.113.7").status_code == 200


def test_login_throttle__wired_in_every_environment__right_after_the_session():
    # Base settings (which local, test and production all extend) carry the middleware just
    # after SessionMiddleware, so it runs before authentication on every process
    from config.settings import base

    sessions = base.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert base.MIDDLEWARE[sessions + 1] == THROTTLE
