"""System checks: a role map that cannot be read, or password sign-in switched off with no
identity provider to sign in through, is reported by `manage.py check` (and at start-up)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

from .conf import oidc_enabled, password_login
from .rolemap import RoleMapError, parse_role_map


@register("identity")
def identity_settings_check(app_configs, **kwargs):
    problems = []
    for name, allow_agency in (("OIDC_ROLE_MAP", False), ("SCIM_GROUP_MAP", True)):
        try:
            parse_role_map(getattr(settings, name, ""), allow_agency=allow_agency)
        except RoleMapError as exc:
            problems.append(Error(f"{name} cannot be read: {exc}", id="identity.E001"))
    names = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
    configured = [n for n in names if getattr(settings, n, "")]
    if configured and not oidc_enabled():
        problems.append(
            Error(
                "OpenID Connect sign-in needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET "
                f"together; only {', '.join(configured)} is set.",
                id="identity.E002",
            )
        )
    if not password_login() and not oidc_enabled():
        problems.append(
            Warning(
                "PASSWORD_LOGIN is off and no identity provider is configured: only superusers "
                "can sign in.",
                id="identity.W001",
            )
        )
    return problems
