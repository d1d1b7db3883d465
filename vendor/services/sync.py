"""`sync_vendor`: push every seat's state to the vendor again (at go-live, after an outage, after
the vendor's workspace was edited by hand), recorded as a `core.Job` row with its progress.

The sync adds no second way of talking to the vendor: it sets the seats pending (a new version,
like any intent) and drains them with the same `provisioning_drain`, restricted to the contract,
counting progress as seats are answered. A seat changed during the sync simply gets the newer
state. If the vendor stops answering, the job ends `failed` saying how far it got; the seats not
yet pushed stay pending, kept, and beat's provisioning run finishes them once the vendor is back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.utils import timezone

from config.errors import BusinessRuleError
from core.choices import JobKind, JobStatus
from core.models import Job
from licensing.models import Contract

from ..models import VendorCircuit
from ..rules import operation_for
from ..selectors import contract_connection, seats_to_push
from .provisioning import provisioning_drain, seats_mark_pending

ProgressCallback = Callable[[int, int], None]


def vendor_sync(
    *,
    contract: Contract,
    actor=None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> Job:
    """Push every active, suspended and (once per person) revoked seat of the contract to its
    vendor again; `dry_run` counts what would be asked and changes nothing. Returns the job row.
    Refused when the contract is not connected to a vendor."""
    connection = contract_connection(contract.pk)
    if connection is None:
        raise BusinessRuleError(
            "vendor_not_connected",
            f"{contract.name} ({contract.number}) is not connected to a vendor workspace: set "
            "its SCIM connection in the admin or VENDOR_SCIM_URL.",
        )
    seats = seats_to_push(contract)
    seat_ids = [seat_id for seat_id, _ in seats]
    now = timezone.now()
    job = Job.objects.create(
        kind=JobKind.VENDOR_SYNC,
        status=JobStatus.RUNNING,
        subject=f"{contract.name} ({contract.number})",
        requested_by=actor if actor is not None and actor.pk else None,
        dry_run=dry_run,
        started_at=now,
        queued_at=now,
        total=len(seat_ids),
    )
    if dry_run:
        return _finish(job, _planned(seats, connection.revoke_action), [])
    seats_mark_pending(contract=contract, seat_ids=seat_ids)
    done = 0

    def counted(answered: int) -> None:
        nonlocal done
        done = min(job.total, done + answered)
        Job.objects.filter(pk=job.pk).update(done=done)
        if progress is not None:
            progress(done, job.total)

    if progress is not None:
        progress(0, job.total)
    pushed = provisioned = failed = 0
    stopped: dict[str, str] = {}
    while True:
        report = provisioning_drain(contract_ids=[contract.pk], progress=counted)
        pushed += report.pushed
        provisioned += report.provisioned
        failed += report.failed
        stopped.update(report.stopped)
        if not report.more_due:
            break
    job.done = done
    outcome = {
        "seats": job.total,
        "pushed": pushed,
        "provisioned": provisioned,
        "failed": failed,
        "waiting": max(0, job.total - done),
    }
    errors = []
    if outcome["waiting"]:
        circuit = VendorCircuit.objects.filter(endpoint=connection.endpoint).first()
        reason = next(iter(stopped.values()), "") or (circuit.last_error if circuit else "")
        errors.append(
            {
                "code": "vendor_unavailable",
                "detail": f"The vendor stopped answering after {done:,} of {job.total:,} seats"
                + (f" ({reason})" if reason else "")
                + "; the others wait, kept, and are pushed when it is back.",
            }
        )
    return _finish(job, outcome, errors)


def _planned(seats: list[tuple[int, str]], revoke_action: str) -> dict:
    asked = Counter(operation_for(status, revoke_action=revoke_action) for _, status in seats)
    return {"seats": len(seats), "would_ask": dict(sorted(asked.items()))}


def _finish(job: Job, outcome: dict, errors: list[dict]) -> Job:
    job.status = JobStatus.FAILED if errors else JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.outcome = outcome
    job.errors = errors
    if job.dry_run:
        job.done = job.total
    job.save(update_fields=["status", "finished_at", "outcome", "errors", "done"])
    return job
