"""Celery tasks of the vendor app, on the `vendor` queue (settings.CELERY_TASK_ROUTES): thin,
idempotent, taking ids, each ending in a service call.

The provisioning run's retries are not Celery retries: a seat's backoff and the endpoint's
circuit live in the database (`SeatProvisioning.next_attempt_at`, `VendorCircuit`), so a lost
message, a restarted worker or an eager run loses nothing, and beat's run every minute resumes
whatever waits."""

from __future__ import annotations

import contextlib
import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from config.errors import BusinessRuleError
from licensing.models import Contract

from .selectors import contracts_connected
from .services.provisioning import (
    DRAIN_SCHEDULED_KEY,
    provisioning_drain,
    provisioning_next_run,
)
from .services.reconcile import contract_reconcile

log = logging.getLogger(__name__)

# A run stops taking new batches after DRAIN_BUDGET seconds and queues its continuation, so one
# worker slot is never held for long; a batch of 100 pushes with every call timing out fits in
# the margin. Database hiccups are retried (the work is idempotent); vendor failures are not
# Celery's business (module docstring).
DRAIN_BUDGET = 120.0
SOON = 60.0  # a backoff or a 429 ending sooner than beat's next run gets its own run
_LIMITS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 540,
    "time_limit": 600,
    "max_retries": 3,
    "retry_backoff": True,
    "autoretry_for": (ConnectionError, TimeoutError, OperationalError, InterfaceError),
}
assert _LIMITS["time_limit"] < settings.CELERY_BROKER_VISIBILITY_TIMEOUT


@shared_task(**_LIMITS)
def provision_seats_task() -> int:
    """Push the seats that are due to their vendors; returns how many were pushed. Queued on
    commit by the outbox consumer (coalesced) and run by beat every minute. Safe to run twice at
    once: seats are claimed with a lease."""
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    if not eager:
        with contextlib.suppress(Exception):
            cache.delete(DRAIN_SCHEDULED_KEY)
    report = provisioning_drain(budget_seconds=DRAIN_BUDGET)
    if not eager:
        _continue(more_due=report.more_due)
    return report.pushed


def _continue(*, more_due: bool) -> None:
    if more_due:
        provision_seats_task.apply_async()
        return
    due = provisioning_next_run()
    if due is None:
        return
    wait = (due - timezone.now()).total_seconds()
    if 0 < wait < SOON:
        provision_seats_task.apply_async(countdown=wait)


@shared_task(**_LIMITS)
def reconcile_contract_task(contract_id: int, actor_id: int | None = None) -> int | None:
    """Reconcile one contract against its vendor; returns the reconciliation's id. A refusal
    (not connected, the vendor unreadable) is logged and not retried: the next night tries."""
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        return None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return contract_reconcile(contract=contract, actor=actor).pk
    except BusinessRuleError as exc:
        log.warning("reconciliation of contract %s refused: %s", contract_id, exc.code)
        return None


@shared_task(**_LIMITS)
def reconcile_all_task() -> int:
    """Beat, nightly: one reconciliation task per connected active contract; returns how many."""
    count = 0
    for contract in contracts_connected():
        reconcile_contract_task.delay(contract.pk)
        count += 1
    return count
