"""SCIM bearer tokens: issued by a command that prints the token alone on its last line,
stored only as a hash, revocable, and counted per token by the rate limits."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import Client

from identity.models import ScimToken
from identity.services.tokens import scim_token_create, scim_token_revoke
from tests.factories import UserFactory

from .conftest import ScimClient


def _issue(*args) -> str:
    out = StringIO()
    call_command("create_scim_token", *args, stdout=out)
    return out.getvalue().rstrip("\n").splitlines()[-1]


def test_create_scim_token__last_line__the_working_token(db):
    token = _issue("--name", "entra")
    assert ScimClient(token).get("/Users").status_code == 200


def test_create_scim_token__stored__only_as_a_hash(db):
    token = _issue("--name", "entra")
    row = ScimToken.objects.get()
    stored = " ".join(str(getattr(row, f.attname)) for f in ScimToken._meta.fields)
    assert token not in stored and token.rsplit(".", 1)[1] not in stored
    assert row.actor.username == "scim.entra"
    assert not row.actor.is_active and not row.actor.has_usable_password()


def test_create_scim_token__revoke_existing__earlier_token_refused(db):
    first = _issue("--name", "entra")
    assert ScimClient(first).get("/Users").status_code == 200  # its row is now cached
    second = _issue("--name", "entra", "--revoke-existing")
    assert ScimClient(first).get("/Users").status_code == 401
    assert ScimClient(second).get("/Users").status_code == 200


@pytest.mark.parametrize("name", ["", "two words", "x" * 61, "-dash-first"])
def test_create_scim_token__bad_name__refused(db, name):
    with pytest.raises(CommandError):
        _issue("--name", name)


def test_create_scim_token__name_of_a_person__refused(db):
    UserFactory(username="scim.entra")
    with pytest.raises(CommandError):
        _issue("--name", "entra")


def test_revoke_scim_token__command__next_request_401(db):
    token = _issue("--name", "okta")
    call_command("revoke_scim_token", "--name", "okta", stdout=StringIO())
    response = ScimClient(token).get("/Users")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="SCIM"'


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer scim.nope.nope", "Basic dXNlcjpwYXNz", "Bearer right-prefix"],
)
def test_auth__missing_or_wrong_token__401_scim_error(scim_token, header):
    client = Client()
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    if header == "Bearer right-prefix":
        extra["HTTP_AUTHORIZATION"] = "Bearer " + scim_token.raw[:-4] + "xxxx"
    response = client.get("/scim/v2/Users", **extra)
    assert response.status_code == 401
    assert response.json()["status"] == "401"


def test_admin__tokens_listed_and_revoked_there(db, scim_token):
    # Given an administrator on the token list
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    page = client.get("/admin/identity/scimtoken/")
    assert page.status_code == 200 and scim_token.prefix in page.content.decode()

    # When they revoke it with the list's action
    client.post(
        "/admin/identity/scimtoken/",
        {"action": "revoke", "_selected_action": [scim_token.pk]},
    )

    # Then the token no longer works
    assert ScimClient(scim_token.raw).get("/Users").status_code == 401
    assert admin.site.is_registered(ScimToken)


def test_revoke__twice__first_moment_kept(db):
    token, _ = scim_token_create(name="entra")
    first = scim_token_revoke(token=token).revoked_at
    assert scim_token_revoke(token=token).revoked_at == first


def test_throttle__over_the_token_budget__429_other_token_unaffected(scim_token, settings):
    settings.SCIM_THROTTLE_TOKEN = "3/min"
    client = ScimClient(scim_token.raw)
    assert [client.get("/Users").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/Users")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["status"] == "429"

    _, other = scim_token_create(name="okta")
    assert ScimClient(other).get("/Users").status_code == 200


def test_throttle__guessing_tokens__address_throttled(db, settings):
    settings.SCIM_THROTTLE_ANON = "2/min"
    guesser = ScimClient("scim.aaaa.bbbb", address="203.0.113.9")
    assert [guesser.get("/Users").status_code for _ in range(3)] == [401, 401, 429]
    assert ScimClient("scim.aaaa.bbbb", address="203.0.113.10").get("/Users").status_code == 401


def test_revoke__token_in_use__next_request_401_at_once(scim_token):
    # Given a token in use (its row kept in the cache)
    client = ScimClient(scim_token.raw)
    assert client.get("/Users").status_code == 200

    # When it is revoked
    scim_token_revoke(token=scim_token)

    # Then the very next request is refused
    assert client.get("/Users").status_code == 401


def test_logs__scim_traffic_and_a_stray_token__no_token_no_address(scim_token, dor):
    import io
    import logging

    from config.logging_filters import RedactingFilter

    from .conftest import provisioned

    # Given a handler on the root logger that filters as the console handler does
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.DEBUG
    try:
        # When a provider provisions, fails to authenticate, and code logs a token by mistake
        provisioned(ScimClient(scim_token.raw))
        ScimClient(scim_token.raw[:-3] + "xyz").get("/Users", filter='userName eq "ann@x.example"')
        logging.getLogger("anywhere").warning("oops %s", scim_token.raw)
    finally:
        root.removeHandler(handler)
        root.level = level

    # Then no log line holds the token or an address
    text = stream.getvalue()
    assert "oops [redacted-key]" in text
    assert scim_token.raw.rsplit(".", 1)[1] not in text
    assert "ann.lee@mass.example.gov" not in text and "ann@x.example" not in text
