"""The catalogue of events other systems and people may subscribe to: each type's name, what it
means, and the shape of its payload, field by field.

Why a catalogue: a subscription names event types, so the types must be known before anything
emits them; and what leaves Seatplan in a webhook or an email is exactly the declared
fields, nothing else. A key an emitter adds without declaring it here is dropped on the way out,
so a payload cannot start leaking a field by accident.

Payloads carry ids, statuses and figures. `personal` names the fields a role that may not read
personal fields through the API (an `api_reader`) must not receive; none of today's types
has one. `contract_wide` types carry contract-wide figures: an agency coordinator never receives
them, as the API never shows them contract figures. This module is pure: no ORM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventType:
    """One kind of event: its name (`wave.status_changed`), a label for people, what it means,
    and its payload's declared fields (name → what it holds)."""

    name: str
    label: str
    description: str
    fields: Mapping[str, str]
    personal: frozenset[str] = field(default_factory=frozenset)
    contract_wide: bool = False
    subscribable: bool = True

    def view(self, payload: Mapping, *, personal: bool) -> dict:
        """The payload as a recipient may receive it: the declared fields only, without the
        personal ones unless `personal`."""
        return {
            key: payload[key]
            for key in self.fields
            if key in payload and (personal or key not in self.personal)
        }


SEAT_STATUS_CHANGED = "seat.status_changed"
WAVE_STATUS_CHANGED = "wave.status_changed"
COHORT_GATES_PASSED = "cohort.gates_passed"
COST_THRESHOLD_CROSSED = "cost.threshold_crossed"
COST_ACTIVATION_REFUSED = "cost.activation_refused"
JOB_FINISHED = "job.finished"
IMPORT_FINISHED = "import.finished"
VENDOR_DRIFT = "vendor.drift"
WEBHOOK_DISABLED = "webhook.disabled"

_TYPES = (
    EventType(
        SEAT_STATUS_CHANGED,
        "Seat status changed",
        "A seat was requested, held, approved, activated, suspended or revoked. One event per "
        "seat change: a cohort activation sends thousands.",
        {
            "seat": "seat id",
            "contract": "contract id",
            "employee": "employee id (no name or email)",
            "agency": "id of the agency the seat is charged to",
            "cohort": "cohort id, or null",
            "from_status": "status before (empty for a new seat)",
            "to_status": "status after",
            "at": "when (ISO 8601)",
            "job": "id of the job that made the change, or null",
        },
    ),
    EventType(
        WAVE_STATUS_CHANGED,
        "Wave status changed",
        "A wave was approved, started, paused, resumed, completed or cancelled.",
        {
            "wave": "wave id",
            "contract": "contract id",
            "number": "the wave's number in its contract",
            "from_status": "status before",
            "to_status": "status after",
            "at": "when (ISO 8601)",
            "by_job": "true when a job (not a person) made the change",
        },
    ),
    EventType(
        COHORT_GATES_PASSED,
        "Cohort gates now pass",
        "Every readiness gate of a cohort passes, where at least one failed before: after a "
        "sign-off, or after a roster import moved the training share. Sent once per change "
        "from failing to passing.",
        {
            "cohort": "cohort id",
            "wave": "wave id",
            "contract": "contract id",
            "agency": "agency id",
            "active_employees": "the agency's active employees",
            "trained_employees": "of those, how many are trained and acknowledged the policy",
            "threshold": 'the training share required (decimal string, e.g. "0.800")',
        },
    ),
    EventType(
        COST_THRESHOLD_CROSSED,
        "Cost threshold crossed",
        "The projected total reached a configured share of the ceiling (80, 90, 100% by "
        "default), or spend to date passed the floor. Sent when the figure crosses upwards; it "
        "is sent again only after the figure has fallen back below the threshold by the "
        "hysteresis margin.",
        {
            "contract": "contract id",
            "snapshot": "id of the cost snapshot that crossed",
            "as_of": "the snapshot's day (YYYY-MM-DD)",
            "measure": "`projected_total` (against the ceiling) or `spend_to_date` (floor)",
            "bound": "`ceiling` or `floor`",
            "share": 'the threshold as a share of the bound (decimal string, e.g. "0.90")',
            "limit": "the threshold in dollars (decimal string)",
            "value": "the figure that crossed it (decimal string)",
            "projected_total": "projected total (decimal string)",
            "committed_total": "committed total (decimal string)",
            "spend_to_date": "spend to date (decimal string)",
            "floor": "the contract's floor (decimal string)",
            "ceiling": "the contract's not-to-exceed ceiling (decimal string)",
            "headroom_seats": "seats that still fit under the ceiling, or null",
        },
        contract_wide=True,
    ),
    EventType(
        COST_ACTIVATION_REFUSED,
        "Activation refused at the ceiling",
        "An activation was refused because it would take the contract over its ceiling: a "
        "single seat (the refusal rolled its change back; this event is written after), or "
        "the people of a cohort job the ceiling left out.",
        {
            "contract": "contract id",
            "seat": "seat id, or null for a cohort job",
            "cohort": "cohort id, or null",
            "agency": "agency id, or null",
            "job": "cohort activation job id, or null for a single seat",
            "requested": "seats asked for",
            "refused": "seats refused by the ceiling",
            "headroom_seats": "seats that still fitted, or null",
            "ceiling": "the contract's ceiling (decimal string)",
        },
        contract_wide=True,
    ),
    EventType(
        JOB_FINISHED,
        "Job finished",
        "A long job (cohort activation, roster or usage import, idle-seat reclamation) "
        "succeeded or failed. A dry run changes nothing and sends nothing.",
        {
            "job": "job id",
            "kind": "cohort_activation, roster_import, usage_import, reclaim, …",
            "status": "succeeded or failed",
            "cohort": "cohort id, or null",
            "done": "items worked through",
            "total": "items to work through",
            "counts": "the job's figures by name (activated, blocked, new, updated, …)",
            "error_codes": "the codes of the errors that ended or marked it",
            "started_at": "when it started (ISO 8601), or null",
            "finished_at": "when it ended (ISO 8601)",
        },
    ),
    EventType(
        IMPORT_FINISHED,
        "Import finished",
        "A roster or usage import ended: written, or rejected with its row errors counted.",
        {
            "job": "job id",
            "kind": "roster_import or usage_import",
            "status": "succeeded (written) or failed (rejected, or it broke)",
            "written": "true when the file's rows were written",
            "rejected": "true when invalid rows rejected the whole file",
            "rows": "rows read",
            "counts": "the import's figures by name (new, updated, unchanged, invalid, …)",
            "errors": "how many row errors",
        },
        contract_wide=True,
    ),
    EventType(
        VENDOR_DRIFT,
        "Vendor workspace drift",
        "The vendor reconciliation found the vendor's workspace and Seatplan's seats disagreeing.",
        {
            "contract": "contract id",
            "reconciliation": "reconciliation id (report: /api/v1/contracts/{id}/reconciliation/)",
            "checked_at": "when the vendor's members were read (ISO 8601)",
            "source": "scim (the vendor's API) or csv (a member-list export)",
            "in_vendor_not_active": "shadow members: workspace members with no active seat",
            "active_not_in_vendor": "active seats with no member in the workspace",
            "mismatched": "members whose state (active or not) differs from their seat's",
            "monthly_cost_at_risk": "the shadow members priced at the contract's unit price (USD)",
            "unit_price": "that unit price (USD a user a month)",
            "previous": "the previous reconciliation's id, or null",
            "previous_in_vendor_not_active": "shadow members found by the previous one, or null",
        },
        contract_wide=True,
    ),
    EventType(
        WEBHOOK_DISABLED,
        "Webhook endpoint disabled",
        "One of your webhook endpoints failed every delivery for a day and was disabled. Sent "
        "by email to the endpoint's owner, whatever their subscriptions.",
        {
            "endpoint": "webhook endpoint id",
            "owner": "the owner's user id",
            "failing_since": "when the failures began (ISO 8601)",
            "last_status_code": "the last HTTP status answered, or null",
            "last_error": "what went wrong last",
        },
        contract_wide=True,
        subscribable=False,
    ),
)

EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}
SUBSCRIBABLE: tuple[str, ...] = tuple(t.name for t in _TYPES if t.subscribable)
SUBSCRIBABLE_CHOICES: list[tuple[str, str]] = [
    (name, EVENT_TYPES[name].label) for name in SUBSCRIBABLE
]


def event_type(name: str) -> EventType | None:
    return EVENT_TYPES.get(name)
