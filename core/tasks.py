"""Celery tasks of the shared plumbing: the outbox dispatcher."""

from __future__ import annotations

import contextlib

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from .outbox import SCHEDULED_KEY, events_dispatch_all

_LIMITS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 240,
    "time_limit": 300,
    "max_retries": 5,
    "retry_backoff": True,
    "autoretry_for": (ConnectionError, TimeoutError, OperationalError, InterfaceError),
}
assert _LIMITS["time_limit"] < settings.CELERY_BROKER_VISIBILITY_TIMEOUT


@shared_task(**_LIMITS)
def dispatch_events_task() -> int:
    """Fan every waiting event out to the consumers; returns how many. Safe to run twice at once
    (batches are taken with SKIP LOCKED) and on a schedule (beat, every minute)."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        # Cleared before the work, so an event committed while this runs schedules another run.
        # The marker only coalesces; if the cache is down it expires by itself.
        with contextlib.suppress(Exception):
            cache.delete(SCHEDULED_KEY)
    return events_dispatch_all()
