"""Celery tasks of the licensing app: thin, idempotent, each ending in a service call."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from .models import Contract
from .selectors import contracts_active
from .services.cost import billing_periods_close, contract_cost_snapshot
from .services.scheduling import cost_recompute_should_wait
from .services.tally import active_tally_rebuild, usage_periods_rebuild

# Time limits stay well under the broker's visibility timeout so a slow job is not redelivered
# while it still runs; retries are bounded and back off.
_LIMITS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 240,
    "time_limit": 300,
    "max_retries": 3,
    "retry_backoff": True,
    "autoretry_for": (ConnectionError, TimeoutError),
}
assert _LIMITS["time_limit"] < settings.CELERY_BROKER_VISIBILITY_TIMEOUT


@shared_task(**_LIMITS)
def recompute_contract_cost_task(contract_id: int, as_of: str | None = None) -> int | None:
    """Recompute one contract's cost snapshot (coalesced: see services.scheduling)."""
    if as_of is None and cost_recompute_should_wait(contract_id=contract_id):
        return None
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        return None
    day = dt.date.fromisoformat(as_of) if as_of else None
    return contract_cost_snapshot(contract=contract, as_of=day).pk


@shared_task(**_LIMITS)
def recompute_all_contracts_task() -> int:
    """Beat's safety net: recompute every active contract, whatever messages were lost, after
    folding its active-seat tally (which also repairs it, should anything have bypassed it)."""
    count = 0
    for contract in contracts_active():
        active_tally_rebuild(contract_id=contract.pk)
        contract_cost_snapshot(contract=contract)
        count += 1
    return count


@shared_task(**_LIMITS)
def nightly_snapshot_task() -> int:
    """Nightly: fold the active-seat tally and recount the usage-period summary (both heal
    anything that bypassed their triggers), then store the day's snapshot of every contract,
    which writes the billing line of every period that has ended."""
    count = 0
    for contract in contracts_active():
        active_tally_rebuild(contract_id=contract.pk)
        usage_periods_rebuild(contract_id=contract.pk)
        billing_periods_close(contract=contract)
        contract_cost_snapshot(contract=contract)
        count += 1
    return count
