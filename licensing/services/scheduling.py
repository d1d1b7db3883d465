"""Coalesced scheduling of cost recomputes.

Every seat change asks for a recompute on commit. A burst of changes must not become a burst of
jobs, so the request is debounced through the shared cache (Redis in production): the first
change of a burst queues one delayed job; later changes only move the "last change" mark. When
the job runs and the burst is still going, it re-queues itself instead of computing, up to a
maximum wait, so a long burst yields one recompute at its end (and one per maximum wait).
A lost message heals by itself: the marker expires, and beat recomputes every contract anyway.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from config.middleware import CACHE_AND_BROKER_ERRORS

log = logging.getLogger(__name__)

SCHEDULED_TTL = 600  # seconds: a lost job's marker expires and the next change queues afresh
MAX_WAIT = 300  # seconds: a never-ending burst still gets a fresh snapshot this often
_UNREACHABLE = (*CACHE_AND_BROKER_ERRORS, OSError)


def _keys(contract_id: int) -> tuple[str, str]:
    return f"cost:{contract_id}:scheduled", f"cost:{contract_id}:last_change"


def cost_recompute_request(*, contract_id: int) -> None:
    """Ask for the contract's cost to be recomputed once the current transaction commits. A
    rolled-back transaction asks for nothing."""
    transaction.on_commit(lambda: _schedule(contract_id))


def _schedule(contract_id: int) -> None:
    from ..tasks import recompute_contract_cost_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process: no other worker to coalesce with, and a delay would only block the caller.
        recompute_contract_cost_task.apply(args=[contract_id])
        return
    scheduled, last_change = _keys(contract_id)
    now = time.time()
    try:
        cache.set(last_change, now, timeout=SCHEDULED_TTL)
        if cache.add(scheduled, now, timeout=SCHEDULED_TTL):
            try:
                recompute_contract_cost_task.apply_async(
                    args=[contract_id], countdown=settings.COST_RECOMPUTE_DELAY
                )
            except Exception:
                # Not queued: drop the marker, so the next change queues again.
                cache.delete(scheduled)
                raise
    except _UNREACHABLE:
        # The seat change is committed (PostgreSQL is the truth): a missing cache or broker must
        # not turn it into an error. Beat's safety net recomputes every contract.
        log.warning(
            "cost recompute of contract %s not queued: cache or broker unreachable; "
            "beat's safety net will recompute it",
            contract_id,
        )


def cost_recompute_should_wait(*, contract_id: int) -> bool:
    """Called by the job before computing: True (and the job re-queued) while the burst goes on.
    False means compute now; the marker is cleared first so a change during the computation
    queues one more job rather than being lost."""
    from ..tasks import recompute_contract_cost_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process there is no burst to wait out, and re-queueing would run the task again
        # at once, inside this one, for as long as another process's marker stays fresh.
        return False
    scheduled, last_change = _keys(contract_id)
    now = time.time()
    first = cache.get(scheduled)
    last = cache.get(last_change)
    delay = settings.COST_RECOMPUTE_DELAY
    if first is not None and last is not None and now - last < delay and now - first < MAX_WAIT:
        recompute_contract_cost_task.apply_async(args=[contract_id], countdown=delay)
        return True
    cache.delete(scheduled)
    return False
