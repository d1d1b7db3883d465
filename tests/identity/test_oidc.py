"""Sign-in through a real OpenID provider (oidc-provider on 127.0.0.1), driven over HTTP:
authorization code flow with PKCE, state and nonce, the ID token verified against the
provider's keys, users created on first sign-in and their roles re-applied at every one."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from django.contrib.auth import get_user_model

from agencies.models import CoordinatorAgency
from identity.models import OidcAccount
from tests.factories import AgencyFactory

from .openid_provider import OpenIdProvider

pytestmark = pytest.mark.django_db(transaction=True)

ROLE_MAP = (
    "rollout_manager=SG-AI-Rollout,finance=SG-AI-Finance,"
    "agency_coordinator:DOR=SG-AI-DOR,agency_coordinator:EOTSS=SG-AI-EOTSS"
)


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    op = OpenIdProvider(
        redirect_uri=f"{live_server.url}/oidc/callback/",
        accounts_file=tmp_path_factory.mktemp("op") / "accounts.json",
    )
    yield op
    op.stop()


@pytest.fixture
def oidc(provider, settings):
    for name, value in provider.settings(ROLE_MAP).items():
        setattr(settings, name, value)
    AgencyFactory(code="DOR", name="Department of Revenue")
    AgencyFactory(code="EOTSS", name="Executive Office of Technology Services and Security")
    return provider


class SignIn:
    """One browser-like session (cookies kept) going through the flow without any script:
    Seatplan's start, the provider's login form, Seatplan's callback. `callback` is Seatplan's
    answer to the callback: a redirect to the page asked for, or back to the login page."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.client = httpx.Client(follow_redirects=True, timeout=30)
        self.callback: httpx.Response | None = None

    def run(self, login: str, next_page: str = "/seats/") -> SignIn:
        page = self.client.get(f"{self.base_url}/oidc/authenticate/", params={"next": next_page})
        action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1))
        final = self.client.post(
            httpx.URL(str(page.url)).join(action),
            data={"prompt": "login", "login": login, "password": "any"},
        )
        self.callback = next(r for r in [*final.history, final] if r.url.path == "/oidc/callback/")
        # Closed at once: a keep-alive connection left to the garbage collector would reach
        # the live server's thread after the test's database is gone.
        self.client.close()
        return self

    @property
    def landed_on(self) -> str:
        return self.callback.headers.get("location", "")

    @property
    def signed_in(self) -> bool:
        return session_user(self.client.cookies.get("sessionid")) is not None


def session_user(session_key: str | None):
    """The user id Seatplan's session store holds for a session cookie, if any."""
    from django.contrib.sessions.backends.db import SessionStore

    return SessionStore(session_key=session_key).get("_auth_user_id") if session_key else None


def sign_in(base_url: str, login: str, next_page: str = "/seats/") -> SignIn:
    return SignIn(base_url).run(login, next_page)


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_oidc_sign_in__first_time__user_created_with_mapped_roles(oidc, live_server):
    # Given an account at the provider in the rollout and DOR coordinator groups
    oidc.set_accounts(
        {
            "alee": {
                "email": "Ann.Lee@mass.example.gov",
                "given_name": "Ann",
                "family_name": "Lee",
                "preferred_username": "ann.lee@mass.example.gov",
                "groups": ["SG-AI-Rollout", "SG-AI-DOR", "Unrelated-Group"],
            }
        }
    )

    # When they sign in through the provider
    session = sign_in(live_server.url, "alee")

    # Then they land where they were going, signed in as a new user with those roles
    assert session.callback.status_code == 302
    assert session.landed_on == "/seats/"
    assert session.signed_in
    user = get_user_model().objects.get(oidc_account__subject="alee")
    assert user.email == "ann.lee@mass.example.gov"
    assert (user.first_name, user.last_name) == ("Ann", "Lee")
    assert not user.has_usable_password()
    assert _roles(user) == {"rollout_manager", "agency_coordinator"}
    assert set(
        CoordinatorAgency.objects.filter(user=user).values_list("agency__code", flat=True)
    ) == {"DOR"}
    account = OidcAccount.objects.get(user=user)
    assert account.issuer == oidc.issuer
    assert account.groups == ["SG-AI-Rollout", "SG-AI-DOR", "Unrelated-Group"]


def test_oidc_sign_in__group_removed_before_next_sign_in__role_and_agency_removed(
    oidc, live_server
):
    # Given someone who signed in as finance and coordinator of DOR and EOTSS
    groups = ["SG-AI-Finance", "SG-AI-DOR", "SG-AI-EOTSS"]
    oidc.set_accounts({"bkim": {"email": "bo.kim@mass.example.gov", "groups": groups}})
    sign_in(live_server.url, "bkim")
    user = get_user_model().objects.get(oidc_account__subject="bkim")
    assert _roles(user) == {"finance", "agency_coordinator"}

    # When the provider takes them out of the finance and EOTSS groups, and they sign in again
    oidc.set_accounts({"bkim": {"email": "bo.kim@mass.example.gov", "groups": ["SG-AI-DOR"]}})
    session = sign_in(live_server.url, "bkim")

    # Then the same user is signed in, with only what their remaining group gives
    assert session.signed_in
    assert get_user_model().objects.filter(oidc_account__subject="bkim").count() == 1
    assert _roles(user) == {"agency_coordinator"}
    assert list(
        CoordinatorAgency.objects.filter(user=user).values_list("agency__code", flat=True)
    ) == ["DOR"]


def test_oidc_sign_in__groups_differ__each_user_gets_their_own_roles(oidc, live_server):
    # Given two people in different groups
    oidc.set_accounts(
        {
            "fin": {"email": "fin@mass.example.gov", "groups": ["SG-AI-Finance"]},
            "none": {"email": "none@mass.example.gov", "groups": ["Everyone"]},
        }
    )

    # When both sign in
    sign_in(live_server.url, "fin")
    sign_in(live_server.url, "none")

    # Then each has what their groups give, and someone in no mapped group has no role
    users = get_user_model().objects
    assert _roles(users.get(oidc_account__subject="fin")) == {"finance"}
    assert _roles(users.get(oidc_account__subject="none")) == set()


def test_oidc_sign_in__password_account_with_same_email__not_taken_over(oidc, live_server):
    # Given a superuser with a password whose address the provider also asserts
    admin = get_user_model().objects.create_superuser(
        "breakglass", "boss@mass.example.gov", "a-long-break-glass-password"
    )
    oidc.set_accounts({"boss": {"email": "boss@mass.example.gov", "groups": ["SG-AI-Rollout"]}})

    # When that provider account signs in
    sign_in(live_server.url, "boss")

    # Then it is a new, separate user: the superuser is not reachable through the provider
    linked = get_user_model().objects.get(oidc_account__subject="boss")
    assert linked.pk != admin.pk
    assert not linked.is_superuser
    assert not OidcAccount.objects.filter(user=admin).exists()


def test_oidc_start__auth_request__carries_pkce_s256_state_and_nonce(oidc, live_server):
    # When the sign-in starts
    response = httpx.get(f"{live_server.url}/oidc/authenticate/", follow_redirects=False)

    # Then the provider is asked for a code with a S256 PKCE challenge, a state and a nonce
    assert response.status_code == 302
    target = httpx.URL(response.headers["location"])
    assert str(target).startswith(oidc.issuer)
    params = dict(target.params)
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["redirect_uri"] == f"{live_server.url}/oidc/callback/"


def test_oidc_callback__replayed_or_forged_state__refused_without_signing_in(oidc, live_server):
    # Given a completed sign-in, whose callback URL someone captured
    oidc.set_accounts({"cara": {"email": "cara@mass.example.gov", "groups": ["SG-AI-Finance"]}})
    first = sign_in(live_server.url, "cara")
    captured = str(first.callback.url)

    # When the same callback is replayed in another session, or arrives with a forged state
    replay = httpx.get(captured, follow_redirects=False)
    forged = httpx.get(
        f"{live_server.url}/oidc/callback/",
        params={"code": "made-up", "state": "made-up"},
        follow_redirects=False,
    )

    # Then both are sent back to the login page, signed in as nobody
    for response in (replay, forged):
        assert response.status_code == 302
        assert response.headers["location"] == "/accounts/login/"
        assert session_user(response.cookies.get("sessionid")) is None


def test_oidc_callback__address_locked_by_failures__429(oidc, live_server, settings):
    # Given an address whose sign-in failures reached the lock (the password form's counter)
    settings.LOGIN_THROTTLE_IP_FAILURES = 3
    for _ in range(3):
        httpx.get(
            f"{live_server.url}/oidc/callback/",
            params={"code": "x", "state": "y"},
            follow_redirects=False,
        )

    # When a callback arrives from that address
    response = httpx.get(
        f"{live_server.url}/oidc/callback/",
        params={"code": "x", "state": "y"},
        follow_redirects=False,
    )

    # Then it is refused before any code is exchanged
    assert response.status_code == 429
    assert response.headers["retry-after"]


def test_oidc_sign_in__inactive_user__refused(oidc, live_server):
    # Given a person whose Seatplan account was disabled (a separated employee)
    oidc.set_accounts({"gone": {"email": "gone@mass.example.gov", "groups": ["SG-AI-Rollout"]}})
    sign_in(live_server.url, "gone")
    get_user_model().objects.filter(oidc_account__subject="gone").update(is_active=False)

    # When they sign in through the provider again
    session = sign_in(live_server.url, "gone")

    # Then they are not signed in
    assert session.landed_on == "/accounts/login/"
    assert not session.signed_in


def test_oidc_discovery__document_names_another_issuer__sign_in_refused(
    oidc, live_server, settings
):
    # Given Seatplan configured with an issuer spelled differently from the one the provider
    # publishes (localhost for 127.0.0.1)
    settings.OIDC_ISSUER = oidc.issuer.replace("127.0.0.1", "localhost")

    # When someone starts signing in
    response = httpx.get(f"{live_server.url}/oidc/authenticate/", follow_redirects=False)

    # Then the provider's document is refused and they are sent back to the login page
    assert response.status_code == 302
    assert response.headers["location"] == "/accounts/login/"


def test_oidc_discovery__second_sign_in__configuration_and_keys_from_the_cache(oidc, live_server):
    # Given a first sign-in
    from django.core.cache import cache

    from identity.oidc import discovery

    oidc.set_accounts({"dee": {"email": "dee@mass.example.gov", "groups": []}})
    sign_in(live_server.url, "dee")

    # Then the configuration and the keys are kept in the cache for the next one
    assert cache.get(discovery._key("configuration"))["issuer"] == oidc.issuer
    assert cache.get(discovery._key("jwks"))["keys"]


def _signed(claims: dict, *, kid: str = "not-the-providers") -> tuple[str, object]:
    """An ID token signed with a key of our own (not the provider's) and its public key."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
    return token, key.public_key()


def _claims(oidc, **overrides) -> dict:
    import time

    now = int(time.time())
    return {
        "iss": oidc.issuer,
        "aud": oidc.client_id,
        "sub": "someone",
        "iat": now,
        "exp": now + 300,
        "nonce": "n",
        **overrides,
    }


def _backend():
    from django.conf import settings as dj

    from identity.oidc.backend import OidcBackend

    backend = OidcBackend()
    backend.OIDC_RP_CLIENT_ID = dj.OIDC_CLIENT_ID
    backend.OIDC_RP_SIGN_ALGO = dj.OIDC_SIGN_ALGO
    return backend


def test_id_token__signed_with_a_key_the_provider_does_not_publish__refused(oidc):
    from django.core.exceptions import SuspiciousOperation

    # Given a well-formed token signed by someone else's key
    token, _ = _signed(_claims(oidc))

    # When its key is looked up among the provider's published keys, then it is refused
    with pytest.raises(SuspiciousOperation):
        _backend().retrieve_matching_jwk(token)


@pytest.mark.parametrize(
    "override",
    [
        {"aud": "another-client"},
        {"iss": "https://login.example.com/other-tenant"},
        {"exp": 1_000_000_000, "iat": 999_999_000},
        {"aud": ["seatplan-tests", "another-client"], "azp": "another-client"},
    ],
    ids=["wrong-audience", "wrong-issuer", "expired", "issued-for-another-party"],
)
def test_id_token__audience_issuer_expiry_checked__refused(oidc, override):
    from django.core.exceptions import SuspiciousOperation

    # Given a token whose signature is valid for its key but whose claims are wrong
    token, public_key = _signed(_claims(oidc, **override))

    # When its claims are verified, then it is refused
    with pytest.raises(SuspiciousOperation):
        _backend()._verify_jws(token, public_key)


def test_id_token__right_audience_and_issuer__accepted(oidc):
    token, public_key = _signed(_claims(oidc))
    assert _backend()._verify_jws(token, public_key)["sub"] == "someone"


def test_id_token__algorithm_other_than_configured__refused(oidc):
    import jwt
    from django.core.exceptions import SuspiciousOperation

    # Given a token MACed with HS256 (a key-confusion attempt against an RS256 client)
    token = jwt.encode(_claims(oidc), oidc.client_secret, algorithm="HS256")

    # Then it is refused whatever the key
    with pytest.raises(SuspiciousOperation):
        _backend()._verify_jws(token, oidc.client_secret)


def test_oidc_callback__each_kind_of_refusal__counted_once_on_the_address(oidc, live_server):
    from django.core.cache import cache

    from config.login_throttle import throttle_keys

    address_key = throttle_keys("127.0.0.1", None)[1]

    def count() -> int:
        return cache.get(address_key, 0)

    # A forged state: refused before the code is exchanged
    httpx.get(f"{live_server.url}/oidc/callback/", params={"code": "x", "state": "y"}, timeout=30)
    assert count() == 1

    # The right state with a code the provider never issued: the exchange fails
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        start = client.get(f"{live_server.url}/oidc/authenticate/")
        state = dict(httpx.URL(start.headers["location"]).params)["state"]
        client.get(f"{live_server.url}/oidc/callback/", params={"code": "forged", "state": state})
    assert count() == 2

    # A real sign-in of an account Seatplan disabled: refused by the backend
    oidc.set_accounts({"off": {"email": "off@mass.example.gov", "groups": []}})
    sign_in(live_server.url, "off")
    get_user_model().objects.filter(oidc_account__subject="off").update(is_active=False)
    assert count() == 2
    sign_in(live_server.url, "off")
    assert count() == 3
