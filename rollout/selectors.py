"""Reads for the rollout app: the figures the readiness gates are evaluated from, the employees a
cohort activation works through, the seats reclamation looks at, the calendar feed and whose
personal calendar link a token is."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from agencies.choices import EmploymentStatus
from agencies.models import Employee
from licensing.choices import SeatStatus
from licensing.models import Contract, Seat

from .choices import CohortStatus, WaveStatus
from .gates import CohortReadiness, SignOff
from .models import CalendarLink, Cohort, ReadinessCheck, Wave, WaveEvent
from .services.calendar_links import password_fingerprint, token_hash

_ACTIVE = Q(agency__employees__employment_status=EmploymentStatus.ACTIVE)
_TRAINED = (
    _ACTIVE
    & Q(agency__employees__training_completed_on__isnull=False)
    & Q(agency__employees__policy_acknowledged_on__isnull=False)
)


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight opening `day` in the project's time zone: days are local calendar days."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def wave_readiness(wave: Wave) -> list[CohortReadiness]:
    """The gate figures of every cohort of the wave that is not cancelled, in agency order: the
    training counts of all cohorts in one aggregate query, the sign-offs in one more."""
    return cohorts_readiness(Cohort.objects.filter(wave=wave))


def cohorts_open() -> QuerySet[Cohort]:
    """Cohorts whose gates still matter: not cancelled, in a wave neither completed nor
    cancelled."""
    return Cohort.objects.exclude(status=CohortStatus.CANCELLED).exclude(
        wave__status__in=(WaveStatus.COMPLETED, WaveStatus.CANCELLED)
    )


def cohorts_readiness(cohorts: QuerySet[Cohort]) -> list[CohortReadiness]:
    """The gate figures of the given cohorts (cancelled ones left out), in agency order, in two
    queries whatever their number."""
    rows = list(
        cohorts.exclude(status=CohortStatus.CANCELLED)
        .values("id", "agency__code", "wave__contract__readiness_threshold")
        .annotate(
            active=Count("agency__employees", filter=_ACTIVE),
            trained=Count("agency__employees", filter=_TRAINED),
        )
        .order_by("agency__code")
    )
    sign_offs: dict[int, dict[str, SignOff]] = {}
    checks = ReadinessCheck.objects.filter(cohort_id__in=[r["id"] for r in rows]).values_list(
        "cohort_id", "kind", "is_met", "signed_off_by__username", "met_at"
    )
    for cohort_id, kind, is_met, username, met_at in checks:
        sign_offs.setdefault(cohort_id, {})[kind] = SignOff(is_met, username or "", met_at)
    return [
        CohortReadiness(
            cohort_id=r["id"],
            agency_code=r["agency__code"],
            active_employees=r["active"],
            trained_employees=r["trained"],
            threshold=r["wave__contract__readiness_threshold"],
            sign_offs=sign_offs.get(r["id"], {}),
        )
        for r in rows
    ]


def cohort_activation_candidates(cohort: Cohort) -> list[tuple[int, str, str, str, str | None]]:
    """The employees a cohort activation works through, by employee number: the agency's
    workforce (separated people are no longer part of it), each as (pk, employee number, first
    name, last name, status of their open seat under the wave's contract or None). Who among
    them is eligible is decided later, under the activation's locks."""
    open_seat = (
        Seat.objects.filter(contract_id=cohort.wave.contract_id, employee=OuterRef("pk"))
        .exclude(status=SeatStatus.REVOKED)
        .values("status")[:1]
    )
    return list(
        Employee.objects.filter(agency_id=cohort.agency_id)
        .exclude(employment_status=EmploymentStatus.SEPARATED)
        .annotate(seat_status=Subquery(open_seat))
        .order_by("employee_number")
        .values_list("pk", "employee_number", "first_name", "last_name", "seat_status")
    )


def employees_for_activation(pks: list[int]) -> list[Employee]:
    """One batch of employees with what the eligibility rules read, by employee number."""
    return list(
        Employee.objects.filter(pk__in=pks)
        .select_related("bargaining_unit")
        .order_by("employee_number")
    )


def cohort_open_seats(cohort: Cohort, employee_pks: list[int]) -> dict[int, Seat]:
    """The open (non-revoked) seats under the cohort's contract of the given employees."""
    return {
        s.employee_id: s
        for s in Seat.objects.filter(
            contract_id=cohort.wave.contract_id, employee_id__in=employee_pks
        ).exclude(status=SeatStatus.REVOKED)
    }


def cohort_active_seat_count(cohort: Cohort) -> int:
    return Seat.objects.filter(cohort=cohort, status=SeatStatus.ACTIVE).count()


def seats_idle(contract: Contract, as_of: dt.date) -> QuerySet[Seat]:
    """Active seats with no recorded activity for the contract's `idle_days` at the end of
    `as_of`, outside their cohort's grace period after onboarding, of employees who are at work.

    Activity is the later of the last recorded use (`last_active_at`) and the last
    (re)activation, so a seat reactivated yesterday is not reclaimed for the weeks it sat
    suspended."""
    idle_since = _day_start(as_of - dt.timedelta(days=contract.idle_days - 1))
    grace_from = as_of - dt.timedelta(days=contract.reclaim_grace_days)
    return (
        Seat.objects.filter(contract=contract, status=SeatStatus.ACTIVE)
        .filter(employee__employment_status=EmploymentStatus.ACTIVE)
        .annotate(
            last_seen=Greatest(
                Coalesce("last_active_at", "activated_at", "created_at"),
                Coalesce("activated_at", "last_active_at", "created_at"),
            )
        )
        .filter(last_seen__lt=idle_since)
        .exclude(cohort__onboarding_date__gt=grace_from)
    )


def seats_of_separated(contract: Contract) -> QuerySet[Seat]:
    """Open seats of employees who have left the workforce."""
    return Seat.objects.filter(
        contract=contract, employee__employment_status=EmploymentStatus.SEPARATED
    ).exclude(status=SeatStatus.REVOKED)


def contract_active_seat_count(contract: Contract) -> int:
    return Seat.objects.filter(contract=contract, status=SeatStatus.ACTIVE).count()


def calendar_waves(agency_ids: frozenset[int] | None = None) -> QuerySet[Wave]:
    """The waves with their cohorts and their agencies, for the onboarding calendar: all of
    them, or (given `agency_ids`) only those agencies' cohorts and the waves that hold one, as
    the timeline page shows a coordinator."""
    cohorts = Cohort.objects.select_related("agency").order_by("onboarding_date", "agency__code")
    waves = Wave.objects.all()
    if agency_ids is not None:
        cohorts = cohorts.filter(agency__in=agency_ids)
        waves = waves.filter(cohorts__agency__in=agency_ids).distinct()
    return (
        waves.select_related("contract")
        .prefetch_related(Prefetch("cohorts", queryset=cohorts))
        .order_by("planned_start", "number")
    )


def wave_cohorts(wave: Wave) -> QuerySet[Cohort]:
    return wave.cohorts.select_related("agency").order_by("agency__code")


def wave_last_change(wave: Wave) -> WaveEvent | None:
    """The wave's latest recorded status change, from `with_changes`' prefetch when it ran."""
    changes = getattr(wave, "changes", None)
    if changes is None:
        changes = list(_changes_newest_first().filter(wave=wave)[:1])
    return changes[0] if changes else None


def with_changes(waves: QuerySet[Wave]) -> QuerySet[Wave]:
    """`waves` with their status changes prefetched newest first (one query for all)."""
    return waves.prefetch_related(
        Prefetch("events", queryset=_changes_newest_first(), to_attr="changes")
    )


def _changes_newest_first() -> QuerySet[WaveEvent]:
    return WaveEvent.objects.select_related("actor").order_by("-at", "-id")


def calendar_link_owner(token: str):
    """The active user whose link this token is, or None: unknown token, inactive account, or a
    password changed since the link was made."""
    if not token or len(token) > 200:
        return None
    link = (
        CalendarLink.objects.select_related("user")
        .filter(token_hash=token_hash(token), user__is_active=True)
        .first()
    )
    if link is None:
        return None
    if not constant_time_compare(link.password_fingerprint, password_fingerprint(link.user)):
        return None
    return link.user
