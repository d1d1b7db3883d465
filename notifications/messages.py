"""Events in words, for the emails: one line per event and a link to the page that shows it.

The payloads carry ids; a person reads names. The names used here (contract, wave, agency code)
are never personal, and each is looked up once per message whatever the number of events. Only
the fields of the payload as the recipient may receive it (audience.py) are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse

from agencies.models import Agency
from core.choices import JobKind, JobStatus
from core.models import Event
from licensing.models import Contract
from rollout.choices import WaveStatus
from rollout.models import Cohort, Wave

from . import catalog


@dataclass(frozen=True)
class Line:
    """One event, as a mail says it: a sentence and where to look."""

    event_id: int
    type: str
    text: str
    url: str


def _money(value) -> str:
    try:
        return f"${Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _percent(share) -> str:
    try:
        return f"{Decimal(share) * 100:.0f}%"
    except (InvalidOperation, TypeError, ValueError):
        return str(share)


def _status(value: str) -> str:
    labels = dict(WaveStatus.choices) | dict(JobStatus.choices)
    return labels.get(value, value or "new").lower()


def _url(name: str, **kwargs) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs or None)


class _Names:
    """The names the lines need, each model read once."""

    def __init__(self, payloads: list[dict]):
        def ids(key: str) -> set[int]:
            return {p[key] for p in payloads if isinstance(p.get(key), int)}

        self.contracts = Contract.objects.in_bulk(ids("contract"))
        self.waves = Wave.objects.in_bulk(ids("wave"))
        self.cohorts = Cohort.objects.select_related("agency", "wave").in_bulk(ids("cohort"))
        self.agencies = Agency.objects.in_bulk(ids("agency"))

    def contract(self, pk) -> str:
        contract = self.contracts.get(pk)
        return contract.name if contract else f"contract {pk}"

    def wave(self, pk, number=None) -> str:
        wave = self.waves.get(pk)
        return f"Wave {wave.number} ({wave.name})" if wave else f"Wave {number or pk}"

    def cohort(self, pk) -> str:
        cohort = self.cohorts.get(pk)
        if cohort is None:
            return f"cohort {pk}"
        return f"{cohort.agency.code} in wave {cohort.wave.number}"

    def agency(self, pk) -> str:
        agency = self.agencies.get(pk)
        return agency.code if agency else f"agency {pk}"


def _text(kind: str, p: dict, names: _Names) -> tuple[str, str]:
    home = settings.SITE_URL + "/"
    if kind == catalog.WAVE_STATUS_CHANGED:
        who = " by a job" if p.get("by_job") else ""
        return (
            f"{names.wave(p.get('wave'), p.get('number'))} of {names.contract(p.get('contract'))}"
            f" is now {_status(p.get('to_status'))} (was {_status(p.get('from_status'))}){who}.",
            _url("web:timeline"),
        )
    if kind == catalog.COHORT_GATES_PASSED:
        return (
            f"Every readiness gate of {names.cohort(p.get('cohort'))} now passes "
            f"({p.get('trained_employees', 0):,} of {p.get('active_employees', 0):,} active "
            f"employees trained; {_percent(p.get('threshold'))} needed).",
            _url("web:timeline"),
        )
    if kind == catalog.COST_THRESHOLD_CROSSED:
        contract = names.contract(p.get("contract"))
        url = _url("web:contract", pk=p["contract"]) if p.get("contract") else home
        if p.get("bound") == "floor":
            return (
                f"{contract}: spend to date {_money(p.get('value'))} has passed the floor of "
                f"{_money(p.get('limit'))}.",
                url,
            )
        return (
            f"{contract}: the projected total {_money(p.get('value'))} has reached "
            f"{_percent(p.get('share'))} of the {_money(p.get('ceiling'))} ceiling "
            f"(committed total {_money(p.get('committed_total'))}).",
            url,
        )
    if kind == catalog.COST_ACTIVATION_REFUSED:
        where = f" for {names.cohort(p['cohort'])}" if p.get("cohort") else ""
        room = p.get("headroom_seats")
        fits = f"{room:,} more seat(s) fit" if isinstance(room, int) else "no limit was found"
        return (
            f"{names.contract(p.get('contract'))}: {p.get('refused', 0):,} activation(s){where} "
            f"refused at the not-to-exceed ceiling of {_money(p.get('ceiling'))}; {fits}.",
            _url("web:contract", pk=p["contract"]) if p.get("contract") else home,
        )
    if kind in (catalog.JOB_FINISHED, catalog.IMPORT_FINISHED):
        label = dict(JobKind.choices).get(p.get("kind"), p.get("kind") or "Job")
        where = f" for {names.cohort(p['cohort'])}" if p.get("cohort") else ""
        counts = p.get("counts") or {}
        figures = ", ".join(
            f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items() if isinstance(v, int)
        )
        if kind == catalog.IMPORT_FINISHED:
            figures = f"{p.get('rows', 0):,} rows" + (f", {figures}" if figures else "")
            if p.get("errors"):
                figures += f", {p['errors']:,} row error(s)"
        codes = p.get("error_codes") or []
        why = f" ({', '.join(codes)})" if codes else ""
        return (
            f"{label} #{p.get('job')}{where} {_status(p.get('status'))}{why}"
            + (f": {figures}." if figures else "."),
            home,
        )
    if kind == catalog.SEAT_STATUS_CHANGED:
        return (
            f"Seat {p.get('seat')} ({names.agency(p.get('agency'))}) is now "
            f"{p.get('to_status')} (was {p.get('from_status') or 'new'}).",
            home,
        )
    if kind == catalog.VENDOR_DRIFT:
        labels = (
            ("in_vendor_not_active", "shadow member(s)"),
            ("active_not_in_vendor", "active seat(s) not in the workspace"),
            ("mismatched", "mismatched"),
        )
        figures = ", ".join(
            f"{p[key]:,} {label}" for key, label in labels if isinstance(p.get(key), int)
        )
        at_risk = p.get("monthly_cost_at_risk")
        risk = f"; {_money(at_risk)} a month at risk" if at_risk not in (None, "0", "0.00") else ""
        return (
            f"{names.contract(p.get('contract'))}: the vendor's workspace disagrees with "
            f"Seatplan ({figures or 'see the reconciliation'}{risk}).",
            home,
        )
    if kind == catalog.WEBHOOK_DISABLED:
        return (
            f"Your webhook endpoint #{p.get('endpoint')} was disabled: it failed every delivery "
            f"for a day ({p.get('last_error') or 'no answer'}). Fix the receiver, then enable it "
            "again; the deliveries it missed are kept.",
            _url("web:webhook", pk=p["endpoint"]) if p.get("endpoint") else home,
        )
    return (f"{kind} ({p})", home)


def event_lines(events: list[Event], payloads: dict[int, dict]) -> list[Line]:
    """Each event in words, from `payloads` (event id → the payload the recipient may see)."""
    names = _Names(list(payloads.values()))
    lines = []
    for event in events:
        text, url = _text(event.type, payloads.get(event.pk, {}), names)
        lines.append(Line(event.pk, event.type, text, url))
    return lines
