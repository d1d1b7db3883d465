from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from .choices import BillingBasis, BillingLineStatus, SeatStatus, ShortfallAllocation, TierMode
from .plain_events import SeatEventManager, fill_plain_events, sync_seat_moments

MONEY = {"max_digits": 14, "decimal_places": 2}


class Contract(models.Model):
    """The licence contract bought through the reseller: its term, the floor and the legal
    not-to-exceed ceiling, how seats are priced (`tier_mode` over `PriceTier` rows) and counted
    (`billing_basis`), and the rollout policy that goes with it (training, readiness threshold,
    idle-seat reclamation)."""

    name = models.CharField(max_length=200)
    vendor = models.CharField(max_length=100)
    reseller = models.CharField(max_length=100, blank=True)
    number = models.CharField(max_length=64, unique=True)
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day of the term (inclusive).")
    floor_amount = models.DecimalField(**MONEY)
    ceiling_amount = models.DecimalField(**MONEY)
    min_billable_seats = models.PositiveIntegerField(default=0)
    tier_mode = models.CharField(max_length=16, choices=TierMode.choices, default=TierMode.VOLUME)
    billing_basis = models.CharField(
        max_length=16, choices=BillingBasis.choices, default=BillingBasis.ASSIGNED
    )
    shortfall_allocation = models.CharField(
        max_length=16,
        choices=ShortfallAllocation.choices,
        default=ShortfallAllocation.CENTRAL,
        help_text="Who carries the part of a charge the billable minimum adds (cost rule 10).",
    )
    requires_training = models.BooleanField(default=True)
    readiness_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.800"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="Share of a cohort's active employees who must be trained before it starts.",
    )
    idle_days = models.PositiveIntegerField(default=30)
    reclaim_grace_days = models.PositiveIntegerField(default=60)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["start_date", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="licensing_contract_term_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(floor_amount__gte=0)
                & models.Q(ceiling_amount__gte=models.F("floor_amount")),
                name="licensing_contract_band_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(readiness_threshold__gte=0)
                & models.Q(readiness_threshold__lte=1),
                name="licensing_contract_threshold_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class PriceTier(models.Model):
    """One row of the contract's price table: seats `min_seats`..`max_seats` (open when null) at
    `unit_price_monthly` per seat per month. Tiers must be contiguous from 1 and end open."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="tiers")
    min_seats = models.PositiveIntegerField()
    max_seats = models.PositiveIntegerField(null=True, blank=True)
    unit_price_monthly = models.DecimalField(max_digits=10, decimal_places=4)

    class Meta:
        ordering = ["contract", "min_seats"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "min_seats"], name="licensing_pricetier_min_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price_monthly__gte=0),
                name="licensing_pricetier_price_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(min_seats__gte=1)
                & (
                    models.Q(max_seats__isnull=True)
                    | models.Q(max_seats__gte=models.F("min_seats"))
                ),
                name="licensing_pricetier_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        upper = f"{self.max_seats:,}" if self.max_seats else "∞"
        return f"{self.min_seats:,}–{upper} @ ${self.unit_price_monthly}"


class Seat(models.Model):
    """One employee's licence under one contract. Its status moves only through the licensing
    services, each move written as a `SeatEvent`, from which billing is derived. `agency` is the
    agency charged for the seat, fixed when it is requested, so a transfer does not rewrite past
    chargeback."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="seats")
    employee = models.ForeignKey(
        "agencies.Employee", on_delete=models.PROTECT, related_name="seats"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="seats")
    cohort = models.ForeignKey(
        "rollout.Cohort", null=True, blank=True, on_delete=models.PROTECT, related_name="seats"
    )
    status = models.CharField(max_length=16, choices=SeatStatus.choices)
    status_changed_at = models.DateTimeField(
        default=timezone.now, help_text="When the seat entered its status: its latest event's time."
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "employee"],
                condition=~models.Q(status=SeatStatus.REVOKED),
                name="licensing_seat_one_open_per_employee",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SeatStatus.values),
                name="licensing_seat_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["contract", "status"]),
            models.Index(fields=["cohort", "status"]),
            models.Index(fields=["agency", "status"]),
        ]

    def __str__(self) -> str:
        return f"Seat {self.pk} ({self.status})"


class SeatEvent(models.Model):
    """Append-only log of every seat status change: who moved it, when, from what to what and
    why. Billing history is derived from it, so rows are never edited or deleted, and a seat's
    status always equals its latest event's `to_status`."""

    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="events")
    # Copies of the seat's contract and agency (both fixed for a seat's life) and of its cohort at
    # the moment of the event, so billing reads the events of one contract from one index and
    # never joins the 40,000 seats (docs/cost-engine.md, "Reading the counts fast"). No database
    # constraint: the seat's own keys guarantee them, and a constraint check at COMMIT would take
    # a share lock on the contract row that every activation holds, so a suspension holding a
    # seat an activation wants would deadlock with it.
    contract = models.ForeignKey(
        Contract, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    cohort = models.ForeignKey(
        "rollout.Cohort",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    from_status = models.CharField(max_length=16, choices=SeatStatus.choices, blank=True)
    # When the seat entered `from_status` (the previous event's `at`). With it, an event leaving
    # `active` is a whole active interval by itself, so billing reads no window over the history.
    from_at = models.DateTimeField(null=True, blank=True)
    to_status = models.CharField(max_length=16, choices=SeatStatus.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.PROTECT, related_name="seat_events"
    )

    objects = SeatEventManager()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            # Every event but a seat's first says when the seat entered the state it leaves, and
            # comes strictly after it: no empty intervals, so billing needs no tie-breaking.
            models.CheckConstraint(
                condition=(models.Q(from_status="") & models.Q(from_at__isnull=True))
                | (
                    ~models.Q(from_status="")
                    & models.Q(from_at__isnull=False)
                    & models.Q(at__gt=models.F("from_at"))
                ),
                name="licensing_seatevent_follows_previous",
            ),
        ]
        indexes = [
            models.Index(fields=["seat", "at", "id"], name="licensing_seatevent_seat_at"),
            models.Index(fields=["at"], name="licensing_seatevent_at"),
            # Covers the billing statement: on PostgreSQL an index-only scan of one contract's
            # events that left active or suspended.
            models.Index(
                fields=["contract", "from_status"],
                include=["from_at", "at", "to_status", "agency", "cohort"],
                condition=models.Q(from_status__in=[SeatStatus.ACTIVE, SeatStatus.SUSPENDED]),
                name="licensing_event_contract_left",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat_id}: {self.from_status or '∅'} → {self.to_status} at {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        plain = self._state.adding and fill_plain_events([self])
        super().save(*args, **kwargs)
        if plain:
            sync_seat_moments({self.seat_id})

    @classmethod
    def for_seat(cls, seat: Seat, **fields) -> "SeatEvent":
        """An unsaved event of `seat`, carrying its contract, agency and current cohort."""
        return cls(
            seat=seat,
            contract_id=seat.contract_id,
            agency_id=seat.agency_id,
            cohort_id=seat.cohort_id,
            **fields,
        )


class ActiveSeatTally(models.Model):
    """Seats active now, counted per (contract, agency, cohort, local day they became active):
    a derived cache that lets a cost recompute read a few hundred rows instead of every active
    seat. On PostgreSQL, triggers on `licensing_seat` append a signed delta row for each statement
    that changes which seats are active (migration 0005), so no code path can forget it;
    `active_tally_rebuild` folds the deltas back into one row per key from the seats themselves.
    The sum of `seats` over a key is what counts; a key may have several rows between rebuilds.
    Not used on SQLite, where billing reads the seats directly. No foreign keys: it is derived
    data, never a source, and must not block deleting what it counts."""

    contract_id = models.BigIntegerField()
    agency_id = models.BigIntegerField()
    cohort_id = models.BigIntegerField(null=True, blank=True)
    since_day = models.DateField()
    seats = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["contract_id", "since_day"],
                include=["agency_id", "cohort_id", "seats"],
                name="licensing_tally_contract_day",
            )
        ]

    def __str__(self) -> str:
        key = f"{self.contract_id}/{self.agency_id}/{self.cohort_id}"
        return f"{key} {self.since_day}: {self.seats:+}"


class UsageDay(models.Model):
    """A day on which a seat's user sent at least one message, from the vendor's activity export.
    On the `engaged` billing basis these rows decide who is billable."""

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="usage_days")
    date = models.DateField()
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["seat", "date"]
        constraints = [
            models.UniqueConstraint(fields=["seat", "date"], name="licensing_usageday_unique"),
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.seat_id} on {self.date}: {self.messages} messages"


class UsagePeriod(models.Model):
    """The first day each seat engaged in each billing period of its contract (from `UsageDay`):
    a derived cache that lets an engaged-basis recompute read one row per seat and period
    instead of every usage day (~40,000 x 250 a year). On PostgreSQL, statement-level triggers
    on `licensing_usageday` (and on a contract's start date) keep it (migration 0009), so every
    writer is covered; `usage_periods_rebuild` recounts a contract's rows from the usage days.
    Not used on SQLite, where billing reads the usage days directly. No foreign keys: derived
    data, never a source."""

    seat_id = models.BigIntegerField()
    contract_id = models.BigIntegerField()
    agency_id = models.BigIntegerField()
    period_start = models.DateField()
    first_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["seat_id", "period_start"], name="licensing_usageperiod_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["contract_id", "period_start"],
                include=["agency_id", "first_date", "seat_id"],
                name="licensing_usageperiod_contract",
            )
        ]

    def __str__(self) -> str:
        return f"seat {self.seat_id}, period of {self.period_start}: from {self.first_date}"


class UsagePeriodTally(models.Model):
    """Seats that engaged in a billing period, counted per (contract, agency, period start): the
    `UsagePeriod` rows folded, so a recompute reads a few hundred rows for the periods before
    the current one. PostgreSQL triggers on `licensing_usageperiod` append a signed delta row
    per statement that adds or removes (seat, period) rows (migration 0009): the unique key of
    `UsagePeriod` settles concurrent writers, so the deltas are exact; `usage_periods_rebuild`
    folds them. The sum of `seats` over a key is what counts. No foreign keys: derived data."""

    contract_id = models.BigIntegerField()
    agency_id = models.BigIntegerField()
    period_start = models.DateField()
    seats = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["contract_id", "period_start"],
                include=["agency_id", "seats"],
                name="licensing_usagetally_contract",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.agency_id} {self.period_start}: {self.seats:+}"


class BillingPeriod(models.Model):
    """One closed billing period of a contract, written by the first recompute that sees the
    period over: the billable persons, the seats charged after the minimum, the unit price (none
    under graduated pricing), the amount, who carries it, and a one-line explanation that
    reconciles them. Finance then marks it invoiced and paid; it is never rewritten."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="billing_periods")
    start = models.DateField()
    end = models.DateField()
    billable_persons = models.PositiveIntegerField(
        help_text="Persons billable in the period, each counted once (cost rule 2)."
    )
    charged_seats = models.PositiveIntegerField(
        default=0, help_text="Seats the invoice prices: billable persons, or the minimum."
    )
    unit_price = models.DecimalField(
        max_digits=10, decimal_places=4, null=True, blank=True, help_text="Null: graduated."
    )
    amount = models.DecimalField(**MONEY)
    unallocated_amount = models.DecimalField(
        **MONEY, default=Decimal("0.00"), help_text="Booked to the central fund (cost rule 10)."
    )
    explanation = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=16, choices=BillingLineStatus.choices, default=BillingLineStatus.ACCRUED
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "start"], name="licensing_billingperiod_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0),
                name="licensing_billingperiod_amount_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.start}–{self.end}: ${self.amount}"


class BillingPeriodEvent(models.Model):
    """One status change of a billing line, appended and never edited: who marked it, when,
    from what to what, and why. The line itself keeps only its latest mark; this record keeps
    every one, so a mistaken "paid" and the undo that took it back both stay on file for the
    auditors (an undo carries its written reason)."""

    line = models.ForeignKey(BillingPeriod, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=16, choices=BillingLineStatus.choices)
    to_status = models.CharField(max_length=16, choices=BillingLineStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["line", "at", "id"]
        indexes = [models.Index(fields=["line", "at"], name="licensing_bpevent_line_at")]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.from_status} → {self.to_status} at {self.at:%Y-%m-%d %H:%M}"


class CostSnapshot(models.Model):
    """What the contract costs as of one day, written by the cost job: spend to date, projection,
    band position, headroom and chargeback, with the inputs they were computed from. The latest
    answers the API; older ones are the history. Always equal to a from-scratch recomputation."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="snapshots")
    as_of = models.DateField()
    computed_at = models.DateTimeField(auto_now_add=True)
    active_seats = models.PositiveIntegerField()
    billable_seats_this_month = models.PositiveIntegerField(
        help_text="Billable seats in the billing period containing as_of."
    )
    spend_to_date = models.DecimalField(**MONEY)
    projected_total = models.DecimalField(**MONEY)
    committed_total = models.DecimalField(**MONEY)
    headroom_seats = models.PositiveIntegerField(
        null=True, blank=True, help_text="Null when no number of seats can reach the ceiling."
    )
    below_floor = models.BooleanField(default=False)
    over_ceiling = models.BooleanField(default=False)
    by_agency = models.JSONField(default=list)
    report = models.JSONField(default=dict, help_text="The full cost report, as the API serves it.")
    inputs = models.JSONField(default=dict, help_text="Terms and counts the figures came from.")
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="Fingerprint of the inputs when computed: a different one now means stale.",
    )

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = ["computed_at", "id"]
        indexes = [models.Index(fields=["contract", "-computed_at"])]

    def __str__(self) -> str:
        return f"{self.contract.number} as of {self.as_of}: ${self.spend_to_date}"
