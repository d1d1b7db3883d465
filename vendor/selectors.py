"""Reads of the vendor app: which connection serves a contract, the provisioning queue and its
counts, the seats a reconciliation compares, and the contract's current unit price."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, QuerySet

from licensing import pricing
from licensing.choices import SeatStatus
from licensing.models import Contract, Seat
from licensing.selectors import contract_terms

from .choices import ProvisioningState, RevokeAction
from .models import Reconciliation, SeatProvisioning, VendorCircuit, VendorConnection
from .reconciliation import SeatRow

LIVE = (SeatStatus.ACTIVE, SeatStatus.SUSPENDED)


@dataclass(frozen=True)
class Connection:
    """Where one contract's vendor workspace is reached. `token` is kept out of the repr."""

    contract_id: int
    endpoint: str
    token: str = field(repr=False)
    revoke_action: str
    source: str  # "contract" (the admin's row) or "environment"


def _environment_connection(contract_id: int) -> Connection | None:
    url = settings.VENDOR_SCIM_URL.strip()
    if not url:
        return None
    action = settings.VENDOR_SCIM_REVOKE_ACTION
    if action not in RevokeAction.values:
        action = RevokeAction.DELETE
    return Connection(
        contract_id, url.rstrip("/"), settings.VENDOR_SCIM_TOKEN, action, "environment"
    )


def connections_for(contract_ids: Iterable[int]) -> dict[int, Connection]:
    """The connection of each contract that has one: its own (the admin's) when enabled, none
    when its own is disabled, else the environment's. One query."""
    ids = set(contract_ids)
    if not ids:
        return {}
    rows = {row.contract_id: row for row in VendorConnection.objects.filter(contract_id__in=ids)}
    out: dict[int, Connection] = {}
    for contract_id in ids:
        row = rows.get(contract_id)
        if row is not None:
            if row.is_enabled:
                out[contract_id] = Connection(
                    contract_id,
                    row.base_url.strip().rstrip("/"),
                    row.token,
                    row.revoke_action,
                    "contract",
                )
            continue
        env = _environment_connection(contract_id)
        if env is not None:
            out[contract_id] = env
    return out


def contract_connection(contract_id: int) -> Connection | None:
    return connections_for([contract_id]).get(contract_id)


def provisioning_enabled() -> bool:
    """Whether any contract may be connected at all: the cheap first question of the consumer."""
    return (
        bool(settings.VENDOR_SCIM_URL.strip())
        or VendorConnection.objects.filter(is_enabled=True).exists()
    )


def contracts_connected() -> QuerySet[Contract]:
    """Active contracts with a connection (their own or the environment's), by id."""
    contracts = Contract.objects.filter(is_active=True).order_by("id")
    ids = set(connections_for(contracts.values_list("id", flat=True)))
    return contracts.filter(pk__in=ids)


def circuits_blocking(endpoints: Iterable[str], *, now) -> dict[str, VendorCircuit]:
    """The circuits among `endpoints` that say not to call now (open, or paused by a 429)."""
    circuits = VendorCircuit.objects.filter(endpoint__in=set(endpoints))
    return {c.endpoint: c for c in circuits if c.waits_until(now) is not None}


def circuits_for_contracts(contract_ids: Iterable[int]) -> list[tuple[Connection, VendorCircuit]]:
    """Each connected contract's connection with its endpoint's circuit (if it has one yet)."""
    connections = connections_for(contract_ids)
    circuits = {
        c.endpoint: c
        for c in VendorCircuit.objects.filter(
            endpoint__in={conn.endpoint for conn in connections.values()}
        )
    }
    return [
        (conn, circuits[conn.endpoint])
        for _, conn in sorted(connections.items())
        if conn.endpoint in circuits
    ]


def provisioning_queue(*, contract: Contract, state: str | None = None) -> QuerySet:
    """The contract's seats as the vendor holds them, failures first, then what waits longest."""
    rows = SeatProvisioning.objects.filter(contract=contract).select_related(
        "seat__employee", "seat__agency"
    )
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-state", "next_attempt_at", "seat_id")


def provisioning_counts(*, contract: Contract) -> dict[str, int]:
    """How many of the contract's seats are pending, provisioned and failed."""
    counts = dict.fromkeys(ProvisioningState.values, 0)
    rows = (
        SeatProvisioning.objects.filter(contract=contract)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def seats_to_push(contract: Contract) -> list[tuple[int, str]]:
    """The seats `sync_vendor` pushes again, as (id, status) by id: every active and suspended
    seat, and for each person with neither, their latest revoked seat (so a user left behind is
    removed once)."""
    seats = Seat.objects.filter(contract=contract)
    live = list(seats.filter(status__in=LIVE).values_list("id", "status", "employee_id"))
    live_people = {employee for _, _, employee in live}
    latest_revoked: dict[int, int] = {}
    revoked = seats.filter(status=SeatStatus.REVOKED).values_list("id", "employee_id")
    for seat_id, employee in revoked.order_by("id"):
        if employee not in live_people:
            latest_revoked[employee] = seat_id
    chosen = [(seat_id, status) for seat_id, status, _ in live]
    chosen += [(seat_id, SeatStatus.REVOKED) for seat_id in latest_revoked.values()]
    return sorted(chosen)


def reconciliation_seats(contract: Contract) -> list[SeatRow]:
    """One row per person who ever held a seat under the contract: their open seat when they
    have one (at most one, by constraint), else their latest revoked seat."""
    rows = (
        Seat.objects.filter(contract=contract)
        .order_by("employee_id", "id")
        .values_list(
            "id",
            "status",
            "employee_id",
            "employee__employee_number",
            "employee__email",
            "provisioning__state",
        )
    )
    chosen: dict[int, SeatRow] = {}
    for seat_id, status, employee_id, number, email, provisioning in rows:
        row = SeatRow(seat_id, status, number, email, provisioning or "")
        held = chosen.get(employee_id)
        if held is None or held.status == SeatStatus.REVOKED:
            chosen[employee_id] = row
    return list(chosen.values())


def contract_unit_price(contract: Contract) -> Decimal:
    """What one more user costs a month now: the unit price of the tier holding the persons with
    an active seat (at least the contract's billable minimum), by the contract's price terms."""
    persons = (
        Seat.objects.filter(contract=contract, status=SeatStatus.ACTIVE)
        .values("employee_id")
        .distinct()
        .count()
    )
    terms = contract_terms(contract)
    return pricing.unit_price(max(persons, terms.min_billable_seats), terms)


def reconciliation_latest(contract: Contract) -> Reconciliation | None:
    return Reconciliation.objects.filter(contract=contract).order_by("-checked_at", "-id").first()


def reconciliations_recent(contract: Contract, *, limit: int = 10) -> list[Reconciliation]:
    return list(
        Reconciliation.objects.filter(contract=contract)
        .order_by("-checked_at", "-id")
        .defer("report")[:limit]
    )
