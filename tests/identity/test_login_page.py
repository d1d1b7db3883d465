"""The login page offers the identity provider when it is configured, and password sign-in
can be switched off for everyone but a superuser (break-glass)."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import Client

from tests.factories import UserFactory

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def oidc_on(settings):
    settings.OIDC_ISSUER = "https://login.example.gov/tenant/v2.0"
    settings.OIDC_CLIENT_ID = "seatplan"
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_PROVIDER_NAME = "State Login"


def test_login_page__oidc_not_configured__password_form_only_and_oidc_urls_404(db):
    client = Client()
    page = client.get(LOGIN, {"next": "/seats/"}).content.decode()
    assert "Sign in with" not in page
    assert 'name="password"' in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404


def test_login_page__oidc_configured__offers_sign_in_with_provider_keeping_next(db, oidc_on):
    page = Client().get(LOGIN, {"next": "/seats/"}).content.decode()
    assert "Sign in with State Login" in page
    assert 'href="/oidc/authenticate/?next=%2Fseats%2F"' in page
    assert 'name="password"' in page


def test_login_page__password_login_off__no_password_form_admin_sign_in_linked(
    db, oidc_on, settings
):
    settings.PASSWORD_LOGIN = False
    page = Client().get(LOGIN).content.decode()
    assert "Sign in with State Login" in page
    assert 'name="password"' not in page
    assert 'href="/admin/login/"' in page


def test_password_login_off__staff_password__refused_everywhere(db, oidc_on, settings):
    # Given a staff member with a password, and password sign-in switched off
    UserFactory(username="staffer", is_staff=True)
    settings.PASSWORD_LOGIN = False

    # When they try the pages' form and the admin's
    pages = Client().post(LOGIN, {"username": "staffer", "password": PASSWORD})
    admin = Client().post(ADMIN_LOGIN, {"username": "staffer", "password": PASSWORD})

    # Then neither signs them in (the form comes back)
    assert pages.status_code == 200 and "_auth_user_id" not in pages.wsgi_request.session
    assert admin.status_code == 200 and "_auth_user_id" not in admin.wsgi_request.session


def test_password_login_off__superuser__still_signs_in_to_the_admin(db, oidc_on, settings):
    # Given the break-glass superuser, and password sign-in switched off
    UserFactory(username="breakglass", is_staff=True, is_superuser=True)
    settings.PASSWORD_LOGIN = False

    # When they sign in to the admin with their password
    response = Client().post(ADMIN_LOGIN, {"username": "breakglass", "password": PASSWORD})

    # Then they are in
    assert response.status_code == 302


def test_password_login_switched_off__open_password_session__ends(db, oidc_on, settings):
    # Given a staff member signed in with a password
    client = Client()
    UserFactory(username="staffer", is_staff=True)
    assert client.login(username="staffer", password=PASSWORD)
    assert client.get("/admin/").status_code == 200

    # When password sign-in is switched off
    settings.PASSWORD_LOGIN = False

    # Then their session no longer signs them in
    assert client.get("/admin/").status_code == 302


def test_checks__role_map_unreadable__error(db, settings):
    settings.OIDC_ROLE_MAP = "wizard=SG-Wizards"
    ids = {message.id for message in run_checks(tags=["identity"])}
    assert "identity.E001" in ids


def test_checks__password_login_off_without_provider__warning(db, settings):
    settings.PASSWORD_LOGIN = False
    ids = {message.id for message in run_checks(tags=["identity"])}
    assert "identity.W001" in ids


def test_checks__half_configured_provider__error(db, settings):
    settings.OIDC_ISSUER = "https://login.example.gov/tenant/v2.0"
    ids = {message.id for message in run_checks(tags=["identity"])}
    assert "identity.E002" in ids
