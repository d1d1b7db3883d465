"""The identity settings, read when asked (so a changed setting or a test's override takes
effect at once) and parsed once per value."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from .rolemap import RoleMap, parse_role_map


def oidc_enabled() -> bool:
    """Sign-in through the identity provider is on when its issuer and client are configured
    (off on the embedded default)."""
    return bool(
        getattr(settings, "OIDC_ISSUER", "")
        and getattr(settings, "OIDC_CLIENT_ID", "")
        and getattr(settings, "OIDC_CLIENT_SECRET", "")
    )


def password_login() -> bool:
    """Whether people may sign in with a Seatplan password (a superuser always may)."""
    return bool(getattr(settings, "PASSWORD_LOGIN", True))


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "your organisation's account"


@lru_cache(maxsize=8)
def _parsed(text: str, allow_agency: bool) -> RoleMap:
    return parse_role_map(text, allow_agency=allow_agency)


def role_map() -> RoleMap:
    """`OIDC_ROLE_MAP`, parsed (the system check reports a map that cannot be read)."""
    return _parsed(getattr(settings, "OIDC_ROLE_MAP", "") or "", False)


def scim_group_map() -> RoleMap:
    """What SCIM groups mean: the role map (the same groups give the same roles, whether they
    arrive in a sign-in's claim or by provisioning) plus `SCIM_GROUP_MAP`'s agency placements."""
    return role_map() + _parsed(getattr(settings, "SCIM_GROUP_MAP", "") or "", True)


def groups_claim() -> str:
    return getattr(settings, "OIDC_GROUPS_CLAIM", "") or "groups"


def agency_attribute() -> str:
    return getattr(settings, "SCIM_AGENCY_ATTRIBUTE", "") or "department"
