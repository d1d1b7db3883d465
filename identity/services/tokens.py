"""SCIM bearer tokens: issued once, stored hashed, revoked for good."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError
from config.middleware import CACHE_AND_BROKER_ERRORS

from ..models import ScimToken

log = logging.getLogger(__name__)

TOKEN_SCHEME = "scim"
TOKEN_CACHE_TTL = 300  # seconds a token's row is kept in the cache (revoking removes it)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


def token_hash(raw: str) -> str:
    """The stored form of a token. A token is 256 random bits, so one SHA-256 is enough: there
    is nothing to guess that a slow hash would protect."""
    return hashlib.sha256(raw.encode()).hexdigest()


def token_cache_key(prefix: str) -> str:
    return f"identity:scim-token:{prefix}"


def _forget(prefixes) -> None:
    """Drop revoked tokens from the cache now and again once the revocation commits (a
    request that read the row in between must not put it back for long)."""
    keys = [token_cache_key(p) for p in prefixes]

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except CACHE_AND_BROKER_ERRORS:
            log.warning(
                "scim token: cache unreachable; a revoked token may work %ss more", TOKEN_CACHE_TTL
            )

    forget()
    transaction.on_commit(forget)


def actor_username(name: str) -> str:
    return f"scim.{name}"


def _actor(name: str):
    User = get_user_model()
    username = actor_username(name)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name="SCIM", last_name=name, is_active=False)
        # The actor only names the token in histories: it never signs in.
        user.set_unusable_password()
        user.save()
        return user
    if user.has_usable_password() or user.is_superuser:
        raise BusinessRuleError(
            "name_taken",
            f"The user '{username}' is a person's account; choose another token name.",
            name=name,
        )
    return user


@transaction.atomic
def scim_token_create(
    *, name: str, created_by=None, revoke_existing: bool = False
) -> tuple[ScimToken, str]:
    """Issue a SCIM token named `name` (the identity provider's name, e.g. `entra`) and return
    it with the raw token, which is never stored or shown again. Every change made with it is
    recorded under the user `scim.<name>`. `revoke_existing` revokes the earlier tokens of that
    name (rotation); without it they keep working, so a provider can switch over first."""
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise BusinessRuleError(
            "invalid_name",
            "A token name is 1-60 letters, digits, dots, dashes or underscores, starting with a "
            "letter or digit.",
            name=name,
        )
    actor = _actor(name)
    if revoke_existing:
        earlier = ScimToken.objects.filter(name=name, revoked_at__isnull=True)
        _forget(list(earlier.values_list("prefix", flat=True)))
        earlier.update(revoked_at=timezone.now())
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_SCHEME}.{prefix}.{secrets.token_urlsafe(32)}"
    token = ScimToken.objects.create(
        name=name,
        prefix=prefix,
        hashed_secret=token_hash(raw),
        actor=actor,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    return token, raw


@transaction.atomic
def scim_token_revoke(*, token: ScimToken) -> ScimToken:
    """Revoke a token: the next request made with it answers 401. Revoking twice keeps the
    first moment."""
    token = ScimToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    _forget([token.prefix])
    return token


def scim_token_touch(*, token: ScimToken) -> None:
    """Record that a token was used, at most once a minute (a provider may send thousands of
    requests a minute; one write each would only add contention)."""
    try:
        due = cache.add(f"identity:scim-token-touched:{token.pk}", 1, timeout=60)
    except CACHE_AND_BROKER_ERRORS:
        due = False
    if due:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
