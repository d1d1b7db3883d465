"""Reconciliation: the vendor's member list against Seatplan's seats, stored and told.

`contract_reconcile` reads the members (SCIM listing, or rows from the console's CSV), compares
them with the seats (`vendor.reconciliation.compare`), prices the shadow members at the
contract's current unit price, stores a `Reconciliation` and, when anything drifted, writes a
`vendor.drift` outbox event in the same transaction (notifications subscribe people to it).

It is not one `@transaction.atomic` service on purpose: the vendor is read first, outside any
transaction, and only the result is written in a short one.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError
from core.outbox import event_emit
from licensing import pricing
from licensing.models import Contract

from ..choices import ReconciliationSource
from ..models import Reconciliation
from ..reconciliation import Member, compare
from ..scim import Directory, VendorError
from ..selectors import contract_connection, contract_unit_price, reconciliation_seats

log = logging.getLogger(__name__)

VENDOR_DRIFT = "vendor.drift"


def vendor_members(*, contract: Contract) -> list[Member]:
    """Every user of the contract's vendor workspace, read by SCIM. Refused when the contract is
    not connected or the vendor cannot be read (the refusal carries the vendor's words)."""
    connection = contract_connection(contract.pk)
    if connection is None:
        raise BusinessRuleError(
            "vendor_not_connected",
            f"{contract.name} ({contract.number}) is not connected to a vendor workspace; "
            "reconcile from the console's member list instead (--members-csv).",
        )
    try:
        with Directory(
            base_url=connection.endpoint,
            token=connection.token,
            timeout=settings.VENDOR_SCIM_TIMEOUT,
        ) as directory:
            return [
                Member(user_name=u.user_name, external_id=u.external_id, active=u.active)
                for u in directory.users()
            ]
    except VendorError as exc:
        log.warning("reconciliation of contract %s: the vendor could not be read", contract.pk)
        raise BusinessRuleError(
            "vendor_unavailable", f"The vendor's member list could not be read: {exc.detail}"
        ) from None


def contract_reconcile(
    *, contract: Contract, members: list[Member] | None = None, actor=None
) -> Reconciliation:
    """Compare the vendor's members (read by SCIM when `members` is None, else the given rows
    from a CSV) with the contract's seats; store the report and tell a drift. Returns it."""
    source = ReconciliationSource.SCIM if members is None else ReconciliationSource.CSV
    if members is None:
        members = vendor_members(contract=contract)
    checked_at = timezone.now()
    result = compare(members, reconciliation_seats(contract))
    price = contract_unit_price(contract)
    at_risk = pricing.money(Decimal(len(result.in_vendor_not_active)) * price)
    report = {
        "contract": contract.pk,
        "checked_at": checked_at.isoformat(),
        "vendor_users": result.vendor_users,
        "active_seats": result.active_seats,
        "in_vendor_not_active": result.in_vendor_not_active,
        "active_not_in_vendor": result.active_not_in_vendor,
        "mismatched": result.mismatched,
        "monthly_cost_at_risk": str(at_risk),
    }
    with transaction.atomic():
        previous = (
            Reconciliation.objects.filter(contract=contract).order_by("-checked_at", "-id").first()
        )
        reconciliation = Reconciliation.objects.create(
            contract=contract,
            checked_at=checked_at,
            source=source,
            vendor_users=result.vendor_users,
            active_seats=result.active_seats,
            shadow_members=len(result.in_vendor_not_active),
            not_provisioned=len(result.active_not_in_vendor),
            mismatched=len(result.mismatched),
            monthly_cost_at_risk=at_risk,
            report=report,
            requested_by=actor if actor is not None and actor.pk else None,
        )
        if result.has_drift:
            _drift_announce(reconciliation, previous, price)
    return reconciliation


def _drift_announce(
    reconciliation: Reconciliation, previous: Reconciliation | None, price: Decimal
) -> None:
    """`vendor.drift`: counts and money only (the names stay in the stored report, read under
    its own permissions); contract-wide, so no agency scope."""
    event_emit(
        type=VENDOR_DRIFT,
        subject=f"contract:{reconciliation.contract_id}",
        payload={
            "contract": reconciliation.contract_id,
            "reconciliation": reconciliation.pk,
            "checked_at": reconciliation.checked_at.isoformat(),
            "source": reconciliation.source,
            "in_vendor_not_active": reconciliation.shadow_members,
            "active_not_in_vendor": reconciliation.not_provisioned,
            "mismatched": reconciliation.mismatched,
            "monthly_cost_at_risk": str(reconciliation.monthly_cost_at_risk),
            "unit_price": str(price),
            "previous": previous.pk if previous else None,
            "previous_in_vendor_not_active": previous.shadow_members if previous else None,
        },
        actor=reconciliation.requested_by,
    )


def reconciliation_request(*, contract: Contract, actor=None) -> None:
    """Ask for a reconciliation of the contract by the workers (a page's "reconcile now"): queued
    on commit, so the request that asks never waits on the vendor. Refused when the contract is
    not connected."""
    if contract_connection(contract.pk) is None:
        raise BusinessRuleError(
            "vendor_not_connected",
            f"{contract.name} ({contract.number}) is not connected to a vendor workspace.",
        )
    from ..tasks import reconcile_contract_task

    actor_id = actor.pk if actor is not None and actor.pk else None
    # Robust: an unreachable broker must not turn the committed request into an error page; the
    # nightly run reconciles anyway.
    transaction.on_commit(lambda: reconcile_contract_task.delay(contract.pk, actor_id), robust=True)
