"""Signing in through the state's identity provider in a real browser (headless Chromium):
the login page's "Sign in with …" button, the provider's own login form (oidc-provider on
127.0.0.1, started by tests/identity/openid_provider.py), and back into Seatplan with the roles
the person's groups give; a group removed at the provider removes the role at the next
sign-in. Skipped, with the reason, without Chromium, playwright, or node and npm."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DESKTOP, MISSING, Visit
from tests.identity.openid_provider import OpenIdProvider

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

ROLE_MAP = (
    "rollout_manager=SG-AI-Rollout,finance=SG-AI-Finance,"
    "agency_coordinator:DOR=SG-AI-DOR,agency_coordinator:EOHHS=SG-AI-EOHHS"
)
BUTTON = "text=Sign in with State Login (test)"


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    op = OpenIdProvider(
        redirect_uri=f"{live_server.url}/oidc/callback/",
        accounts_file=tmp_path_factory.mktemp("op") / "accounts.json",
    )
    yield op
    op.stop()


@pytest.fixture
def sso(provider, settings, demo):
    for name, value in provider.settings(ROLE_MAP).items():
        setattr(settings, name, value)
    return provider


def sign_in_with_provider(browser, live_server, login: str, label: str) -> Visit:
    """A fresh tab (no session anywhere) signing in through the provider's form."""
    tab = Visit(browser, live_server.url, DESKTOP, label)
    tab.open("/accounts/login/")
    with tab.page.expect_navigation():
        tab.page.click(BUTTON)
    tab.page.fill("input[name=login]", login)
    tab.page.fill("input[name=password]", "any password: the test provider's form")
    with tab.page.expect_navigation(url=lambda url: url.startswith(live_server.url)):
        tab.page.click("button[type=submit]")
    tab.page.wait_for_load_state()
    return tab


def role_label(tab: Visit) -> str:
    return tab.page.inner_text(".session .role")


def test_login_page__provider_configured__button_accessible(browser, live_server, sso):
    tab = Visit(browser, live_server.url, DESKTOP, "login-sso")
    try:
        tab.open("/accounts/login/")
        assert tab.page.is_visible(BUTTON)
        tab.assert_accessible()
        tab.shot("login-with-provider")
        tab.assert_clean()
    finally:
        tab.close()


def test_sign_in__users_of_different_groups__each_lands_with_their_roles(browser, live_server, sso):
    # Given three people whose groups differ
    sso.set_accounts(
        {
            "rita": {
                "email": "rita@mass.example.gov",
                "given_name": "Rita",
                "groups": ["SG-AI-Rollout"],
            },
            "fred": {
                "email": "fred@mass.example.gov",
                "given_name": "Fred",
                "groups": ["SG-AI-Finance"],
            },
            "cora": {
                "email": "cora@mass.example.gov",
                "given_name": "Cora",
                "groups": ["SG-AI-DOR"],
            },
        }
    )
    expected = {
        "rita": ("/rollout/timeline/", "Rollout manager"),
        "fred": ("/contracts/", "Finance"),
        "cora": ("/seats/", "Agency coordinator"),
    }
    for login, (landing, label) in expected.items():
        # When each signs in through the provider
        tab = sign_in_with_provider(browser, live_server, login, f"sso-{login}")
        try:
            # Then each lands on their role's page, signed in with that role
            assert tab.page.url.startswith(live_server.url + landing), login
            assert role_label(tab) == label
            tab.shot(f"signed-in-{login}")
            tab.assert_clean()
        finally:
            tab.close()

    # And the coordinator sees their agency's page, not another's
    tab = sign_in_with_provider(browser, live_server, "cora", "sso-cora-scope")
    try:
        tab.open("/agencies/DOR/")
        tab.open("/agencies/EOHHS/", status=404)
    finally:
        tab.close()


def test_sign_in__group_removed_between_two_sign_ins__role_gone(browser, live_server, sso):
    # Given someone in the finance and DOR coordinator groups, signed in once
    account = {"email": "gail@mass.example.gov", "given_name": "Gail"}
    sso.set_accounts({"gail": {**account, "groups": ["SG-AI-Finance", "SG-AI-DOR"]}})
    first = sign_in_with_provider(browser, live_server, "gail", "sso-gail-before")
    try:
        assert role_label(first) == "Finance, Agency coordinator"
        first.open("/finance/")
    finally:
        first.close()

    # When the provider removes them from the finance group, and they sign in again
    sso.set_accounts({"gail": {**account, "groups": ["SG-AI-DOR"]}})
    second = sign_in_with_provider(browser, live_server, "gail", "sso-gail-after")
    try:
        # Then they are a coordinator only: finance's pages are closed to them
        assert role_label(second) == "Agency coordinator"
        assert second.page.url == live_server.url + "/seats/"
        second.open("/finance/", status=403)
        second.shot("group-removed")
    finally:
        second.close()
