"""Authentication: hashed API keys that act as their user (revocable, expiring, never logged),
sessions for people, `create_api_user`, and throttling per key and per user."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import CoordinatorAgency, UserAPIKey
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLES, ROLLOUT_MANAGER
from tests.api.conftest import key_client, make_user


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_api_key__valid__authenticates_as_its_user(world):
    # Given a finance user's key
    user = make_user("fin", FINANCE)
    _, key = UserAPIKey.objects.create_key(user=user, name="dash")

    # When it is used
    response = _client(key).get(f"/api/v1/contracts/{world['contract'].pk}/cost/")

    # Then the request runs as that user, with their role
    assert response.status_code == 200


def test_api_key__stored__only_as_hash(world):
    # Given a new key
    user = make_user("fin", FINANCE)
    row, key = UserAPIKey.objects.create_key(user=user, name="dash")

    # Then the database holds no copy of it
    row.refresh_from_db()
    secret = key.split(".", 1)[1]
    assert secret not in row.hashed_key and secret not in row.id


@pytest.mark.parametrize(
    "spoil",
    [
        lambda k: UserAPIKey.objects.filter(pk=k.pk).update(revoked=True),
        lambda k: UserAPIKey.objects.filter(pk=k.pk).update(
            expiry_date=timezone.now() - dt.timedelta(seconds=1)
        ),
        lambda k: type(k.user).objects.filter(pk=k.user.pk).update(is_active=False),
    ],
    ids=["revoked", "expired", "inactive-user"],
)
def test_api_key__revoked_expired_or_inactive__401(world, spoil):
    # Given a key that worked
    user = make_user("mgr", ROLLOUT_MANAGER)
    row, key = UserAPIKey.objects.create_key(user=user, name="x")
    assert _client(key).get("/api/v1/seats/").status_code == 200

    # When it is revoked, expires, or its user is deactivated
    spoil(row)

    # Then it no longer opens anything, and the answer gives no hint of why: the same body as
    # for a key that never existed
    response = _client(key).get("/api/v1/seats/")
    unknown = _client("Abcdefgh.notakeyatallnotakeyatall12").get("/api/v1/seats/")
    assert response.status_code == unknown.status_code == 401
    assert (
        response.json()
        == unknown.json()
        == {
            "code": "authentication_failed",
            "detail": "The API key is not valid.",
            "fields": {},
        }
    )


@pytest.mark.parametrize(
    "header",
    ["Api-Key", "Api-Key ", "Api-Key nodot", "Api-Key a.b.c", "Api-Key " + "x" * 5000],
)
def test_api_key__malformed__401(world, header):
    # Given a malformed key header
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    # When it is used
    response = client.get("/api/v1/seats/")

    # Then it is refused as credentials, not a server error
    assert response.status_code == 401


def test_api_key__right_prefix_wrong_secret__401(world):
    # Given a real key's prefix with another secret
    user = make_user("mgr", ROLLOUT_MANAGER)
    _, key = UserAPIKey.objects.create_key(user=user, name="x")
    forged = key.split(".")[0] + ".guessedsecretguessedsecret12345"

    # When it is used
    # Then it is refused
    assert _client(forged).get("/api/v1/seats/").status_code == 401


def test_api_key__refused_or_used__never_logged(world, caplog):
    # Given a key, and one that is revoked
    user = make_user("mgr", ROLLOUT_MANAGER)
    _, good = UserAPIKey.objects.create_key(user=user, name="good")
    row, bad = UserAPIKey.objects.create_key(user=user, name="bad")
    UserAPIKey.objects.filter(pk=row.pk).update(revoked=True)

    # When both are used, with every logger listening
    with caplog.at_level(logging.DEBUG):
        _client(good).get("/api/v1/seats/")
        response = _client(bad).get("/api/v1/seats/")

    # Then neither key appears in a log line or in the refusal
    text = caplog.text + response.content.decode()
    assert good.split(".")[1] not in text
    assert bad.split(".")[1] not in text


def test_session__person_logged_in__reads_and_writes_with_csrf(world):
    # Given a rollout manager logged in with a session, with CSRF checks on
    user = make_user("person", ROLLOUT_MANAGER)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    # When they read, and write without the CSRF token
    read = client.get("/api/v1/seats/")
    write = client.post(f"/api/v1/seats/{world['seats_a'][0].pk}/approve/", {}, format="json")

    # Then the read works and the write is refused for the missing token
    assert read.status_code == 200
    assert write.status_code == 403


# --- create_api_user -----------------------------------------------------------------------------


def _run(*args) -> list[str]:
    out = StringIO()
    call_command("create_api_user", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def test_create_api_user__new_user__key_alone_on_last_line_and_it_works(world):
    # When an API reader is created
    lines = _run("--username", "dashboards", "--role", API_READER)

    # Then the last line is the key alone, and it authenticates as a reader
    key = lines[-1]
    assert key == key.strip() and " " not in key and "." in key
    client = _client(key)
    assert client.get("/api/v1/seat-counts/").status_code == 200
    assert client.post("/api/v1/seats/", {}, format="json").status_code == 403
    # And the user has no usable password and exactly that role
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="dashboards")
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [API_READER]
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_create_api_user__coordinator__scoped_to_given_agencies(world):
    # When a coordinator of agency B is created
    key = _run("--username", "bcoord", "--role", AGENCY_COORDINATOR, "--agency", "agb")[-1]

    # Then their key sees agency B's seats only
    seats = _client(key).get("/api/v1/seats/").json()["results"]
    assert {s["agency_code"] for s in seats} == {"AGB"}


def test_create_api_user__rerun__updates_role_agencies_and_adds_a_key(world):
    # Given a coordinator of A with a key
    first = _run("--username", "u1", "--role", AGENCY_COORDINATOR, "--agency", "AGA")[-1]

    # When the command runs again: coordinator of B only, then rollout manager
    second = _run("--username", "u1", "--role", AGENCY_COORDINATOR, "--agency", "AGB")[-1]
    user = UserAPIKey.objects.get_from_key(second).user

    # Then the agencies are replaced, and both keys still work
    assert list(
        CoordinatorAgency.objects.filter(user=user).values_list("agency__code", flat=True)
    ) == ["AGB"]
    assert _client(first).get("/api/v1/seats/").status_code == 200

    third = _run("--username", "u1", "--role", ROLLOUT_MANAGER, "--revoke-existing")[-1]
    assert list(user.groups.values_list("name", flat=True)) == [ROLLOUT_MANAGER]
    assert not CoordinatorAgency.objects.filter(user=user).exists()
    assert _client(first).get("/api/v1/seats/").status_code == 401
    assert _client(third).get("/api/v1/seats/").status_code == 200


def test_create_api_user__existing_person__password_kept(world):
    # Given a person with a password
    person = make_user("alice", None)
    assert person.has_usable_password()

    # When they are given an API key
    _run("--username", "alice", "--role", FINANCE)

    # Then their password still works
    person.refresh_from_db()
    assert person.has_usable_password()


def test_create_api_user__expiry__set_on_key(world):
    # When a key is issued for 30 days
    key = _run("--username", "temp", "--role", API_READER, "--expires-in-days", "30")[-1]

    # Then it expires in 30 days
    row = UserAPIKey.objects.get_from_key(key)
    assert dt.timedelta(days=29) < row.expiry_date - timezone.now() <= dt.timedelta(days=30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", AGENCY_COORDINATOR], "needs at least one --agency"),
        (["--role", AGENCY_COORDINATOR, "--agency", "NOPE"], "No agency with code NOPE"),
        (["--role", FINANCE, "--agency", "AGA"], "applies only to the agency_coordinator"),
        (["--role", FINANCE, "--expires-in-days", "0"], "at least 1"),
    ],
)
def test_create_api_user__bad_arguments__clear_error_and_nothing_written(world, args, message):
    # When the command is run with inconsistent arguments
    with pytest.raises(CommandError, match=message):
        _run("--username", "oops", *args)

    # Then no user or key was written
    assert not UserAPIKey.objects.filter(user__username="oops").exists()


# --- throttling ----------------------------------------------------------------------------------


def _rates(settings, **rates):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = rest


def test_throttle__per_user__counts_all_keys_of_the_user(world, settings):
    # Given a user allowed three requests a minute, with two keys
    _rates(settings, user="3/min")
    user = make_user("poller", API_READER)
    one, two = key_client(user), key_client(user)

    # When the two keys share the budget
    statuses = [c.get("/api/v1/agencies/").status_code for c in (one, two, one, two)]

    # Then the fourth request is throttled whichever key sends it
    assert statuses == [200, 200, 200, 429]


def test_throttle__per_key__other_users_unaffected(world, settings):
    # Given keys allowed one request a minute
    _rates(settings, api_key="1/min")
    first, second = key_client(make_user("a1", API_READER)), key_client(make_user("a2", API_READER))

    # When the first key is used up
    assert first.get("/api/v1/agencies/").status_code == 200
    assert first.get("/api/v1/agencies/").status_code == 429

    # Then another key is still served
    assert second.get("/api/v1/agencies/").status_code == 200


def test_throttle__scoped_seat_counts__tighter_than_the_rest(world, settings):
    # Given seat counts allowed once a minute
    _rates(settings, seat_counts="1/min")
    client = key_client(make_user("p", API_READER))

    # When seat counts are polled twice
    assert client.get("/api/v1/seat-counts/").status_code == 200
    assert client.get("/api/v1/seat-counts/").status_code == 429

    # Then other endpoints are still served
    assert client.get("/api/v1/agencies/").status_code == 200


def test_throttle__anonymous__by_address_and_health_exempt(db, settings):
    # Given anonymous callers allowed one request a minute
    _rates(settings, anon="1/min")
    client = APIClient()

    # When an anonymous caller fetches the public schema twice
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/schema/").status_code == 429

    # Then the health check still answers
    assert client.get("/api/v1/health").status_code == 200
