from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .choices import CohortStatus, GateKind, WaveStatus


class Wave(models.Model):
    """A step of the phased rollout under one contract: a set of agencies onboarded together
    between `planned_start` and `planned_end`. A person approves and starts it (human in the
    loop), and only when every cohort's readiness gates pass."""

    contract = models.ForeignKey(
        "licensing.Contract", on_delete=models.PROTECT, related_name="waves"
    )
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=WaveStatus.choices, default=WaveStatus.PLANNED)
    planned_start = models.DateField()
    planned_end = models.DateField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # Who changed the plan, when and why (the plan services set the user and the reason). Status
    # changes are told by `WaveEvent`; this history keeps the name and the window.
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="rollout_wave_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")),
                name="rollout_wave_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Wave {self.number}: {self.name}"


class WaveEvent(models.Model):
    """Append-only record of every wave status change: from what to what, when, who (none for a
    job, which may only pause) and why. Written by the wave services in the same transaction as
    the change, so the timeline and the admin can say who stopped or cancelled a wave."""

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=20, choices=WaveStatus.choices)
    to_status = models.CharField(max_length=20, choices=WaveStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["wave", "at", "id"], name="rollout_waveevent_wave_at")]

    def __str__(self) -> str:
        return f"Wave {self.wave_id}: {self.from_status} → {self.to_status} at {self.at:%Y-%m-%d}"


class Cohort(models.Model):
    """One agency inside one wave: how many seats it may hold (`seat_quota`) and the day its
    people are onboarded. Unfilled quota counts as planned seats in the cost projection."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="cohorts")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="cohorts")
    seat_quota = models.PositiveIntegerField()
    onboarding_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=CohortStatus.choices, default=CohortStatus.PLANNED
    )
    # Every quota and onboarding date the cohort ever had, with who changed it and why: the cost
    # projection as of a past day reads the plan of that day from it (cost rule 5).
    history = HistoricalRecords()

    class Meta:
        ordering = ["wave__number", "agency__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "agency"], name="rollout_cohort_wave_agency_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(seat_quota__gte=0), name="rollout_cohort_quota_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code} in wave {self.wave.number}"


class ReadinessCheck(models.Model):
    """One signed-off gate of a cohort (privacy, security, union notice, help desk). Training
    readiness is computed live from the roster; a stored row of that kind only records who
    looked at it."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=32, choices=GateKind.choices)
    is_met = models.BooleanField(default=False)
    met_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["cohort", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "kind"], name="rollout_readinesscheck_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(is_met=False)
                | (models.Q(met_at__isnull=False) & models.Q(signed_off_by__isnull=False)),
                name="rollout_readinesscheck_met_is_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.cohort_id}: {'met' if self.is_met else 'open'}"


class CalendarLink(models.Model):
    """A person's private link to the onboarding calendar (the ICS feed), for calendar apps that
    cannot sign in. Only a SHA-256 hash of the link's token is kept: the token itself is shown
    once, when the link is made, so a copy of the database opens no calendar. A link dies when
    its owner makes a new one, when an administrator revokes it, when the owner's password
    changes (`password_fingerprint` no longer matches) and when the account is deactivated; a
    reactivated account starts without one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_link"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    password_fingerprint = models.CharField(
        max_length=64, help_text="Ties the link to the password it was made under."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "calendar link"

    def __str__(self) -> str:
        return f"Calendar link of {self.user} (made {self.created_at:%Y-%m-%d})"
