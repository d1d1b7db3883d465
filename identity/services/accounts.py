"""Sign-in through the identity provider: the account a person signs in as, and the roles and
agencies the provider's groups give them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, CoordinatorAgency
from config.roles import ROLES

from ..models import OidcAccount
from ..rolemap import Grants, RoleMap

log = logging.getLogger(__name__)

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


@dataclass(frozen=True)
class RoleChange:
    """What applying grants changed on a user: roles and coordinated agency codes."""

    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    agencies_added: frozenset[str] = frozenset()
    agencies_removed: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.agencies_added or self.agencies_removed)


def groups_from_claim(value: Any) -> list[str]:
    """The groups claim as a list of names: a list of strings (Entra ID, Okta, Keycloak), or a
    single string; anything else means no groups."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [g for g in value if isinstance(g, str)]
    return []


def user_roles_apply(
    *,
    user,
    grants: Grants,
    managed_roles: Iterable[str] | None = None,
    managed_agencies: Iterable[str] | None = None,
) -> RoleChange:
    """Make the user's roles and coordinated agencies what `grants` says: a role or agency the
    grants do not name is removed (a group taken away at the identity provider takes the role
    away here). `managed_roles` / `managed_agencies` limit what is decided (SCIM decides only
    the roles whose groups it provisions); None decides them all. Groups that are not roles
    are left alone, and agency codes Seatplan does not know are skipped (logged). Call inside
    the transaction that decided the grants."""
    decided_roles = set(ROLES if managed_roles is None else managed_roles) & set(ROLES)
    role_groups = {name: Group.objects.get_or_create(name=name)[0] for name in decided_roles}
    current = set(user.groups.filter(name__in=decided_roles).values_list("name", flat=True))
    wanted = set(grants.roles) & decided_roles
    if wanted - current:
        user.groups.add(*[role_groups[name] for name in wanted - current])
    if current - wanted:
        user.groups.remove(*[role_groups[name] for name in current - wanted])

    agencies = {a.code.upper(): a for a in Agency.objects.filter(code__in=grants.coordinated)}
    unknown = sorted(set(grants.coordinated) - set(agencies))
    if unknown:
        log.warning("role map names unknown agency code(s) %s; skipped", ", ".join(unknown))
    held = {
        code.upper(): agency_id
        for code, agency_id in CoordinatorAgency.objects.filter(user=user).values_list(
            "agency__code", "agency_id"
        )
    }
    decided = None if managed_agencies is None else {c.upper() for c in managed_agencies}
    to_add = {c for c in agencies if c not in held and (decided is None or c in decided)}
    to_remove = {c for c in held if c not in agencies and (decided is None or c in decided)}
    if to_remove:
        CoordinatorAgency.objects.filter(
            user=user, agency_id__in=[held[c] for c in to_remove]
        ).delete()
    CoordinatorAgency.objects.bulk_create(
        [CoordinatorAgency(user=user, agency=agencies[c]) for c in sorted(to_add)],
        ignore_conflicts=True,
    )
    # The cached role names (config/roles.py) must not outlive the change.
    user.__dict__.pop("_role_names", None)
    return RoleChange(
        frozenset(wanted - current),
        frozenset(current - wanted),
        frozenset(to_add),
        frozenset(to_remove),
    )


def _username(claims: Mapping[str, Any]) -> str:
    User = get_user_model()
    raw = claims.get("preferred_username") or claims.get("email") or f"sso-{claims['sub']}"
    base = _USERNAME_UNSAFE.sub("-", str(raw))[:140] or "sso-user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _text(claims: Mapping[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@transaction.atomic
def oidc_sign_in(
    *, issuer: str, claims: Mapping[str, Any], role_map: RoleMap, groups_claim: str
) -> tuple[Any, RoleChange]:
    """Sign a person in from their verified claims: find the user their (issuer, subject) pair
    is linked to, or create one on first sign-in (no password: they sign in through the
    provider only); refresh their name and e-mail; and re-apply their roles and coordinated
    agencies from the groups claim through the role map, so a group removed at the provider
    removes the role at the next sign-in. Returns the user (possibly inactive: the caller
    refuses those) and what changed in their roles.

    A new account is never linked to an existing Seatplan user by e-mail: an address can be
    reassigned at the provider, and a password account (the break-glass superuser above all)
    must not become reachable through it."""
    User = get_user_model()
    subject = str(claims["sub"])
    now = timezone.now()
    email = _text(claims, "email", 254).lower()
    groups = groups_from_claim(claims.get(groups_claim))
    first = _text(claims, "given_name", 150)
    last = _text(claims, "family_name", 150)
    account = (
        OidcAccount.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if account is None:
        user = User(username=_username(claims), email=email, first_name=first, last_name=last)
        user.set_unusable_password()
        user.save()
        account = OidcAccount.objects.create(
            user=user,
            issuer=issuer,
            subject=subject,
            email=email,
            groups=groups,
            first_signed_in_at=now,
            last_signed_in_at=now,
        )
    else:
        user = account.user
        changed = [
            field
            for field, value in (("email", email), ("first_name", first), ("last_name", last))
            if value and getattr(user, field) != value
        ]
        for field in changed:
            setattr(user, field, dict(email=email, first_name=first, last_name=last)[field])
        if changed:
            user.save(update_fields=changed)
        account.email, account.groups, account.last_signed_in_at = email, groups, now
        account.save(update_fields=["email", "groups", "last_signed_in_at"])
    if not user.is_active:
        return user, RoleChange()
    change = user_roles_apply(user=user, grants=role_map.grants_for(groups))
    if change:
        log.info(
            "sign-in of user %s changed roles: +%s -%s, agencies +%s -%s",
            user.pk,
            sorted(change.added),
            sorted(change.removed),
            sorted(change.agencies_added),
            sorted(change.agencies_removed),
        )
    return user, change


def sso_users_set_active(*, users: Iterable, active: bool) -> int:
    """Let the identity provider's users sign in, or stop them (a separated employee); their
    open sessions end with it. Returns how many changed."""
    ids = [u.pk for u in users if u.is_active != active and not u.is_superuser]
    if not ids:
        return 0
    return get_user_model().objects.filter(pk__in=ids).update(is_active=active)
