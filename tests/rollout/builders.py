"""Builders shared by the rollout and seat-service tests: people with roles, running cohorts,
signed gates, and a contract whose ceiling leaves room for an exact number of seats."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from config.roles import ROLLOUT_MANAGER
from rollout.choices import SIGNED_GATES
from rollout.models import ReadinessCheck
from tests.factories import CohortFactory, ContractFactory, UserFactory, WaveFactory


def person(username: str, *roles: str):
    """A user holding the given roles (Django groups)."""
    user = UserFactory(username=username)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def manager(username: str = "manager"):
    return person(username, ROLLOUT_MANAGER)


def running_cohort(*, contract=None, agency=None, seat_quota=100, **wave_kwargs):
    """A cohort in a wave that is in progress."""
    wave = WaveFactory(contract=contract or ContractFactory(), status="in_progress", **wave_kwargs)
    kwargs = {"agency": agency} if agency is not None else {}
    return CohortFactory(wave=wave, seat_quota=seat_quota, status="onboarding", **kwargs)


def sign_all(cohort, signer, kinds=SIGNED_GATES):
    """Every signed gate of the cohort met, written directly (the service is tested apart)."""
    for kind in kinds:
        ReadinessCheck.objects.update_or_create(
            cohort=cohort,
            kind=kind,
            defaults={
                "is_met": True,
                "met_at": timezone.now(),
                "signed_off_by": signer,
                "evidence": "ticket",
            },
        )


def contract_with_room(seats: int, **kwargs):
    """A contract whose ceiling leaves room for exactly `seats` active seats: one billing
    period (a 21-day term starting today), $10 a seat, no billable minimum, ceiling $10 x
    `seats`. With none active, seat `seats` + 1 would take the period charge over the ceiling."""
    today = timezone.localdate()
    return ContractFactory(
        start_date=today,
        end_date=today + dt.timedelta(days=20),
        floor_amount=Decimal("0"),
        ceiling_amount=Decimal(10 * seats),
        min_billable_seats=0,
        tiers=[(1, None, "10")],
        **kwargs,
    )
