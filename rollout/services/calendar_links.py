"""Personal calendar links: made (and remade) by their owner, revoked by an administrator, and
dead after a password change or a deactivation (rollout.models.CalendarLink)."""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.db import transaction
from django.utils.crypto import salted_hmac

from ..models import CalendarLink

log = logging.getLogger(__name__)

_FINGERPRINT_SALT = "rollout.calendar_link.password"


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_fingerprint(user) -> str:
    """A keyed hash of the user's stored password hash: it changes whenever the password does
    (or is made unusable), and tells nothing about the password itself."""
    return salted_hmac(_FINGERPRINT_SALT, user.password or "", algorithm="sha256").hexdigest()


@transaction.atomic
def calendar_link_rotate(*, user) -> str:
    """Make `user` a new calendar link, ending the one they had; returns its token, which is
    not stored and cannot be shown again."""
    token = secrets.token_urlsafe(32)
    CalendarLink.objects.filter(user=user).delete()
    CalendarLink.objects.create(
        user=user, token_hash=token_hash(token), password_fingerprint=password_fingerprint(user)
    )
    log.info("calendar link of user %s made anew", user.pk)
    return token


@transaction.atomic
def calendar_links_revoke(*, user_ids: list[int]) -> int:
    """End the calendar links of these users (an administrator's action, a deactivation, a
    password change); returns how many there were. Their owners can make new ones."""
    count, _ = CalendarLink.objects.filter(user_id__in=user_ids).delete()
    if count:
        log.info("calendar links revoked: %s", count)
    return count
