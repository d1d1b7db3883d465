"""Celery tasks of the notifications app: thin, each ending in a service call. They run on the
`notify` queue (settings.CELERY_TASK_ROUTES), so a slow receiver or mail server never holds up
the outbox dispatcher, a cost recompute or a cohort job. Every delivery is recorded in the
database before any task is queued: a lost message only waits for beat's sweep."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .services.email import email_deliveries_sweep, email_digests_send, email_user_send
from .services.gates import cohort_gates_observe
from .services.webhooks import (
    deliver_budget,
    webhook_deliveries_sweep,
    webhook_endpoint_deliver,
    webhook_endpoints_due,
)

# Everything follows from the lease a delivery is claimed for: a delivery task works for a third
# of it, is stopped softly at 60% and killed at 75%, so a task never outlives its lease (another
# worker would send the same row while this one still could), and its last attempt, begun just
# before the budget ran out, still ends within the soft limit.
_LEASE = settings.WEBHOOK_LEASE_SECONDS
_LIMITS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": int(_LEASE * 0.6),
    "time_limit": int(_LEASE * 0.75),
    "max_retries": 3,
    "retry_backoff": True,
    "autoretry_for": (ConnectionError, TimeoutError, OperationalError, InterfaceError),
}
assert deliver_budget() + 2 * settings.WEBHOOK_TIMEOUT < _LIMITS["soft_time_limit"], (
    "WEBHOOK_TIMEOUT is too long for WEBHOOK_LEASE_SECONDS: keep it under 13% of the lease"
)
assert _LIMITS["time_limit"] < settings.CELERY_BROKER_VISIBILITY_TIMEOUT


@shared_task(**_LIMITS)
def webhook_endpoint_deliver_task(endpoint_id: int) -> int:
    """Send one endpoint's due deliveries for a while; if more are due after that, queue the
    next run. Returns how many were tried. Safe to run twice at once (claims with a lease)."""
    tried = webhook_endpoint_deliver(endpoint_id=endpoint_id)
    if tried and endpoint_id in webhook_endpoints_due():
        webhook_endpoint_deliver_task.delay(endpoint_id)
    return tried


@shared_task(**_LIMITS)
def email_user_send_task(user_id: int) -> int:
    """Send one person the mail that is due; returns how many events it carried."""
    return email_user_send(user_id=user_id)


@shared_task(**_LIMITS)
def deliveries_sweep_task() -> dict[str, int]:
    """Beat, every minute: queue the deliveries whose retry is due and those a dead worker
    left leased (webhooks per endpoint, email per person)."""
    return {
        "webhook_endpoints": len(webhook_deliveries_sweep()),
        "email_users": len(email_deliveries_sweep()),
    }


@shared_task(**{**_LIMITS, "soft_time_limit": 600, "time_limit": 660})
def email_digests_task() -> int:
    """Beat, once a day: everyone's digest; returns the number of messages."""
    return email_digests_send()


@shared_task(**_LIMITS)
def cohort_gates_task() -> int:
    """Beat: judge every open cohort's gates, for changes no service announced (admin edits,
    identity updates); returns the number of `cohort.gates_passed` written."""
    return len(cohort_gates_observe())
