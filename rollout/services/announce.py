"""Rollout changes told to the rest of the world through the outbox (core/outbox.py).

- `wave.status_changed`: every recorded `WaveEvent`, in the same transaction, scoped to the
  agencies with a cohort in the wave (a coordinator reads those waves through the API).
- `cost.activation_refused` for a cohort job whose people the ceiling left out, once per job.

Payloads carry ids, statuses and counts; no reason (free text may name a person) and no actor
(the event row keeps who, for the admin).
"""

from __future__ import annotations

from django.db import transaction

from core.models import Job
from core.outbox import event_emit
from licensing.services.announce import activation_refusal_announce

from ..models import Cohort, WaveEvent

WAVE_STATUS_CHANGED = "wave.status_changed"


def wave_change_announce(change: WaveEvent) -> None:
    """Write `wave.status_changed` for one recorded wave change, in the caller's transaction."""
    wave = change.wave
    event_emit(
        type=WAVE_STATUS_CHANGED,
        subject=f"wave:{wave.pk}",
        payload={
            "wave": wave.pk,
            "contract": wave.contract_id,
            "number": wave.number,
            "from_status": change.from_status,
            "to_status": change.to_status,
            "at": change.at.isoformat(),
            "by_job": change.actor_id is None,
        },
        agency_ids=Cohort.objects.filter(wave=wave).values_list("agency_id", flat=True),
        actor=change.actor,
    )


def cohort_ceiling_refusals_announce(*, job: Job, refused: int, activated: int) -> None:
    """Write one `cost.activation_refused` when a real cohort activation left people out because
    the contract's ceiling had no room for them."""
    if job.dry_run or refused <= 0 or job.cohort_id is None:
        return
    cohort = Cohort.objects.select_related("wave__contract").get(pk=job.cohort_id)
    with transaction.atomic():
        activation_refusal_announce(
            contract=cohort.wave.contract,
            refused=refused,
            requested=activated + refused,
            headroom_seats=0,
            cohort_id=cohort.pk,
            agency_id=cohort.agency_id,
            job_id=job.pk,
            actor=job.requested_by,
        )
