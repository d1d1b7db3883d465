"""Reads of the identity app."""

from __future__ import annotations

import contextlib
import hmac

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import QuerySet

from config.middleware import CACHE_AND_BROKER_ERRORS

from .models import ScimGroup, ScimGroupMember, ScimToken, ScimUser
from .services.tokens import TOKEN_CACHE_TTL, TOKEN_SCHEME, token_cache_key, token_hash


def scim_token_for(raw: str | None) -> ScimToken | None:
    """The active token a bearer value stands for, or None: its row found by prefix (kept in
    the shared cache, so a provisioning burst does not read the token table on every request;
    revoking deletes the cached row), then a constant-time comparison of the hashes. The
    token's `actor` is read only when a change is recorded under it."""
    if not raw:
        return None
    scheme, _, rest = raw.partition(".")
    prefix, _, secret = rest.partition(".")
    if scheme != TOKEN_SCHEME or not prefix or not secret or len(raw) > 200:
        return None
    key = token_cache_key(prefix)
    try:
        row = cache.get(key)
    except CACHE_AND_BROKER_ERRORS:
        row = None
    if row is None:
        row = (
            ScimToken.objects.filter(prefix=prefix, revoked_at__isnull=True)
            .values("pk", "name", "prefix", "hashed_secret", "actor_id")
            .first()
        )
        if row is None:
            return None
        with contextlib.suppress(*CACHE_AND_BROKER_ERRORS):
            cache.set(key, row, timeout=TOKEN_CACHE_TTL)
    if not hmac.compare_digest(row["hashed_secret"], token_hash(raw)):
        return None
    return ScimToken(
        id=row["pk"],
        name=row["name"],
        prefix=row["prefix"],
        hashed_secret=row["hashed_secret"],
        actor_id=row["actor_id"],
    )


def scim_users() -> QuerySet[ScimUser]:
    """Every provisioned user, newest first (so a client that lists without paging sees what
    it just created)."""
    return ScimUser.objects.order_by("-created_at", "-id")


def scim_groups() -> QuerySet[ScimGroup]:
    return ScimGroup.objects.order_by("-created_at", "-id")


def scim_group_members(group_ids) -> dict:
    """The members of these groups, as the resource lists them: {group id: [{value, type,
    endpoint, display}]}, in one query."""
    found: dict = {}
    rows = ScimGroupMember.objects.filter(group_id__in=list(group_ids)).values_list(
        "group_id", "user_id", "member_group_id", "display"
    )
    for group_id, user_id, member_group_id, display in rows.order_by("id"):
        if user_id is not None:
            entry = {"value": str(user_id), "type": "User", "endpoint": "Users"}
        else:
            entry = {"value": str(member_group_id), "type": "Group", "endpoint": "Groups"}
        entry["display"] = display
        found.setdefault(group_id, []).append(entry)
    return found


def scim_user_group_names(scim_user_id) -> list[str]:
    """The names a provisioned user's groups go by: each direct group's display name and its
    external id (Entra ID sends a group's object id there, the value its groups claim holds)."""
    names: list[str] = []
    rows = ScimGroupMember.objects.filter(user_id=scim_user_id).values_list(
        "group__display_name", "group__external_id"
    )
    for display_name, external_id in rows.order_by("group__display_name"):
        names += [n for n in (display_name, external_id) if n and n not in names]
    return names


def scim_groups_named(names) -> set[str]:
    """Which of these names a provisioned group goes by (display name or external id)."""
    wanted = list(names)
    found = set(
        ScimGroup.objects.filter(display_name__in=wanted).values_list("display_name", flat=True)
    )
    found |= set(
        ScimGroup.objects.filter(external_id__in=wanted).values_list("external_id", flat=True)
    )
    return found


def sso_users_with_email(email: str) -> QuerySet:
    """The Seatplan users who sign in through the identity provider with this address."""
    User = get_user_model()
    if not email:
        return User.objects.none()
    return User.objects.filter(oidc_account__isnull=False, email__iexact=email)
