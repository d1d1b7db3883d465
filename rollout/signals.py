"""Account changes that end a personal calendar link: a new password, a deactivation. Connected
in `RolloutConfig.ready`; each handler only asks the service to revoke."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save

from .services.calendar_links import calendar_links_revoke


def revoke_calendar_link_on_account_change(sender, instance, update_fields=None, **kwargs):
    """Before a user row is saved with a changed password or `is_active` turned off, end their
    calendar link (a password change through `QuerySet.update` is caught when the link is
    used: its password fingerprint no longer matches)."""
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. the last_login update of every sign-in
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    deactivated = before["is_active"] and not instance.is_active
    if deactivated or before["password"] != instance.password:
        calendar_links_revoke(user_ids=[instance.pk])


def connect() -> None:
    pre_save.connect(
        revoke_calendar_link_on_account_change,
        sender=get_user_model(),
        dispatch_uid="rollout_revoke_calendar_link_on_account_change",
    )
