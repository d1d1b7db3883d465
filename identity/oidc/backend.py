"""Sign-in through the identity provider: mozilla-django-oidc's authorization code flow, set up
from the environment and the provider's discovery document, with the checks the library leaves
to its user done here:

- the ID token's signature against the provider's published keys (JWKS, cached, refetched once
  when a token names a key the cache lacks: a key rotation), with the one algorithm configured;
- its issuer, audience (our client id; `azp` too when there are several audiences), expiry and
  issue time; the nonce of the session that started the flow (the library);
- claims from the user-info endpoint are used only when their subject is the ID token's.

The state and the PKCE verifier are the library's (kept in the session, single use). The
person is then signed in by `identity.services.accounts.oidc_sign_in`."""

from __future__ import annotations

import logging

import jwt
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ..conf import groups_claim, oidc_enabled, role_map
from ..services.accounts import oidc_sign_in
from . import discovery

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 60
# Set on the request once the backend tries a callback, so the view knows Django's
# user_login_failed signal (and the login throttle with it) has counted a refusal.
ATTEMPTED = "_oidc_sign_in_attempted"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
_FROM_SETTINGS = {
    "OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_RP_SCOPES": "OIDC_SCOPES",
    "OIDC_RP_SIGN_ALGO": "OIDC_SIGN_ALGO",
    "OIDC_TIMEOUT": "OIDC_TIMEOUT",
}
_FROM_DISCOVERY = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_FIXED = {
    "OIDC_USE_PKCE": True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
    "OIDC_USE_NONCE": True,
    "OIDC_VERIFY_KID": True,
    "OIDC_ALLOW_UNSECURED_JWT": False,
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_STORE_ID_TOKEN": False,
    "OIDC_CREATE_USER": True,
    "OIDC_RP_IDP_SIGN_KEY": None,
    "OIDC_AUTHENTICATION_CALLBACK_URL": "identity:oidc-callback",
    "OIDC_REDIRECT_FIELD_NAME": "next",
    "LOGIN_REDIRECT_URL": "web:home",
    "LOGIN_REDIRECT_URL_FAILURE": "web:login",
}


def oidc_setting(name: str, *default):
    """What mozilla-django-oidc asks for by its own setting names, answered from Seatplan's
    environment settings, the discovery document and the fixed choices above."""
    if name in _FIXED:
        return _FIXED[name]
    if name in _FROM_SETTINGS:
        return getattr(settings, _FROM_SETTINGS[name])
    if name in _FROM_DISCOVERY:
        return discovery.configuration().get(_FROM_DISCOVERY[name])
    if name == "OIDC_TOKEN_USE_BASIC_AUTH":
        methods = discovery.configuration().get("token_endpoint_auth_methods_supported")
        # client_secret_basic is the default of the specification when nothing is announced.
        return not methods or "client_secret_basic" in methods
    return getattr(settings, name, *default) if default else getattr(settings, name)


class OidcBackend(OIDCAuthenticationBackend):
    """The authentication backend of the identity provider's callback (off while OIDC is not
    configured: it then authenticates nobody)."""

    def __init__(self, *args, **kwargs):
        # The library reads its endpoints here; ours come from discovery, when signing in.
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    def authenticate(self, request, **kwargs):
        if not oidc_enabled() or request is None or "code" not in request.GET:
            return None
        setattr(request, ATTEMPTED, True)
        self.OIDC_OP_TOKEN_ENDPOINT = oidc_setting("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = oidc_setting("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = oidc_setting("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def retrieve_matching_jwk(self, token):
        header = jwt.get_unverified_header(token)
        kid, alg = header.get("kid"), header.get("alg")
        for refresh in (False, True):
            if refresh and not cache.add("identity:oidc:jwks-refreshed", 1, timeout=60):
                break
            for key in discovery.signing_keys(refresh=refresh).get("keys", []):
                if kid is not None and key.get("kid") != kid:
                    continue
                if "alg" in key and key["alg"] != alg:
                    continue
                if key.get("use", "sig") != "sig":
                    continue
                return jwt.PyJWK(key)
        raise SuspiciousOperation("The ID token's key is not among the provider's published keys.")

    def _verify_jws(self, payload, key):
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("The ID token is not signed with the configured algorithm.")
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=discovery.configuration()["issuer"],
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc.__class__.__name__}") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token refused: issued for another party (azp).")
        return claims

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if str(userinfo.get("sub")) != str(payload.get("sub")):
                raise SuspiciousOperation("User info names another subject than the ID token.")
            # The ID token's claims win: they are signed; user info only fills what it lacks.
            claims = {**userinfo, **claims}
        if not self.verify_claims(claims):
            raise SuspiciousOperation("The ID token names no subject.")
        user, _ = oidc_sign_in(
            issuer=discovery.configuration()["issuer"],
            claims=claims,
            role_map=role_map(),
            groups_claim=groups_claim(),
        )
        # A disabled account is refused here, so authenticate() reports (and the login
        # throttle counts) the failure.
        return user if user.is_active else None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        # An account the provider's SCIM separated (or an administrator disabled) signs out.
        return user if user is not None and user.is_active else None
