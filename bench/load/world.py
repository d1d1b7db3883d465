"""What the load needs from the seeded demo: the contract, the employees a manager may give a
seat to right now, the agencies coordinators act for, and one API key per virtual user.

Read in the scenario's process through Django (`Stack.django()`), before the load starts.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from .generator import VirtualUser


def contract_id() -> int:
    from licensing.selectors import contracts_active

    return contracts_active().order_by("id").first().pk


def activatable_employees(limit: int, seed: int = 8) -> list[tuple[int, int]]:
    """(employee id, cohort id) of active, trained employees not held for bargaining, without
    an open seat, in a cohort of a wave in progress, at most each cohort's remaining quota."""
    from django.db.models import Q

    from agencies.choices import HOLDING_STATUSES, EmploymentStatus
    from agencies.models import Employee
    from licensing.models import Seat
    from rollout.choices import WaveStatus
    from rollout.models import Cohort

    cid = contract_id()
    open_seats = Seat.objects.filter(contract_id=cid).exclude(status="revoked")
    pool: list[tuple[int, int]] = []
    cohorts = Cohort.objects.filter(wave__contract_id=cid, wave__status=WaveStatus.IN_PROGRESS)
    for cohort in cohorts.order_by("id"):
        room = cohort.seat_quota - Seat.objects.filter(cohort=cohort, status="active").count()
        ids = (
            Employee.objects.filter(
                agency_id=cohort.agency_id,
                employment_status=EmploymentStatus.ACTIVE,
                training_completed_on__isnull=False,
                policy_acknowledged_on__isnull=False,
            )
            .filter(
                Q(bargaining_unit__isnull=True)
                | ~Q(bargaining_unit__bargaining_status__in=list(HOLDING_STATUSES))
            )
            .exclude(id__in=open_seats.values("employee_id"))
            .order_by("id")
            .values_list("id", flat=True)
        )
        pool += [(pk, cohort.pk) for pk in list(ids)[: max(0, room)]]
    random.Random(seed).shuffle(pool)
    return pool[:limit]


def coordinator_agencies() -> list[str]:
    """Codes of the agencies that have seats, largest first."""
    from django.db.models import Count

    from agencies.models import Agency

    return list(
        Agency.objects.annotate(n=Count("seats"))
        .filter(n__gt=0)
        .order_by("-n", "code")
        .values_list("code", flat=True)
    )


def mix(users: int) -> dict[str, int]:
    """How `users` virtual users split: 40% ETag pollers, 20% plain pollers, 25% coordinators,
    15% managers (at least one of each)."""
    managers = max(1, round(users * 0.15))
    coordinators = max(1, round(users * 0.25))
    plain = max(1, round(users * 0.20))
    etag = max(1, users - managers - coordinators - plain)
    return {"poller_etag": etag, "poller": plain, "coordinator": coordinators, "manager": managers}


def build_users(stack, users: int, prefix: str, activations: int) -> list[VirtualUser]:
    """API users (one key each, made by `manage.py create_api_user`) for the mix."""
    counts = mix(users)
    agencies = coordinator_agencies()
    specs, kinds = [], []
    for kind, n in counts.items():
        for i in range(n):
            name = f"{prefix}-{kind.replace('_', '-')}-{i + 1}"
            if kind == "coordinator":
                specs.append((name, "agency_coordinator", (agencies[i % len(agencies)],)))
            elif kind == "manager":
                specs.append((name, "rollout_manager", ()))
            else:
                specs.append((name, "api_reader", ()))
            kinds.append(kind)
    keys = stack.create_api_users(specs)
    pool = activatable_employees(activations)
    managers = [i for i, k in enumerate(kinds) if k == "manager"]
    shares: dict[int, list] = {i: [] for i in managers}
    for n, item in enumerate(pool):
        shares[managers[n % len(managers)]].append(item)
    return [
        VirtualUser(kind=kind, key=key, employees=shares.get(i, []))
        for i, (kind, key) in enumerate(zip(kinds, keys, strict=True))
    ]


def leaks_in_logs(log_dir: Path, keys: list[str]) -> dict[str, int]:
    """How many times any API key, and any employee email address, appears in the stack's logs."""
    from agencies.models import Employee

    text = ""
    for path in sorted(log_dir.glob("*.log")):
        if path.name == "postgres.log":
            continue  # the database server's own log (no statements logged)
        text += path.read_text(errors="replace")
    key_hits = sum(text.count(k) for k in keys if k)
    secret_hits = sum(text.count(k.split(".", 1)[-1]) for k in keys if "." in k)
    emails_in_log = set(re.findall(r"[A-Za-z0-9._%+-]+@mass\.gov", text, flags=re.I))
    known = set(Employee.objects.filter(email__in=emails_in_log).values_list("email", flat=True))
    return {
        "api_keys": key_hits + secret_hits,
        "employee_emails": len(known),
        "log_bytes": len(text),
    }
