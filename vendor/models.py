from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .choices import Operation, ProvisioningState, ReconciliationSource, RevokeAction
from .reconciliation import report_ordered
from .rules import endpoint_problem

MONEY = {"max_digits": 14, "decimal_places": 2}


class VendorConnection(models.Model):
    """How one contract's vendor workspace is reached by SCIM 2.0: its base URL and bearer token,
    and what a revoked seat does there. A contract without one uses the environment's connection
    (`VENDOR_SCIM_URL`, `VENDOR_SCIM_TOKEN`), if any; a disabled one turns provisioning off for
    its contract even when the environment sets one.

    The token is a secret: the admin writes it and never shows it, and it is never logged or put
    in a string of this object. It is stored as given, because Seatplan must send it back to the
    vendor (it cannot be hashed like an API key); the database is its trust boundary."""

    contract = models.OneToOneField(
        "licensing.Contract", on_delete=models.CASCADE, related_name="vendor_connection"
    )
    is_enabled = models.BooleanField(
        default=True, help_text="Off: nothing is sent to the vendor for this contract's seats."
    )
    base_url = models.URLField(
        max_length=500,
        help_text="The SCIM 2.0 base URL the vendor generated, e.g. https://…/scim/v2 "
        "(https only; http only to 127.0.0.1).",
    )
    token = models.CharField(max_length=2000, blank=True, help_text="The bearer token.")
    revoke_action = models.CharField(
        max_length=16, choices=RevokeAction.choices, default=RevokeAction.DELETE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract_id"]

    def __str__(self) -> str:
        return f"SCIM connection of contract {self.contract_id}"

    def clean(self) -> None:
        problem = endpoint_problem(self.base_url)
        if problem:
            raise ValidationError({"base_url": problem})


class VendorCircuit(models.Model):
    """The circuit breaker of one vendor endpoint (a SCIM base URL): how many calls in a row
    failed because the vendor was down (unreachable, timed out, 5xx, token refused), and until
    when Seatplan stops calling it. While it is open, provisioning intents wait, kept, and beat's
    periodic run tries again once it cools down. A `429` pauses the endpoint for its
    `Retry-After` without counting as a failure. Keyed by endpoint, not contract: when a vendor is
    down it is down for every contract it serves."""

    endpoint = models.CharField(max_length=500, unique=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed calls in a row.")
    openings = models.PositiveIntegerField(default=0, help_text="Openings in a row.")
    opened_at = models.DateTimeField(null=True, blank=True)
    open_until = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="Until when the vendor asked us to wait (429)."
    )
    last_error = models.TextField(blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["endpoint"]

    def __str__(self) -> str:
        return f"circuit of {self.endpoint}"

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.open_until is not None and self.open_until > now

    def waits_until(self, now=None):
        """When calls may start again, or None when they may now."""
        now = now or timezone.now()
        moments = [m for m in (self.open_until, self.paused_until) if m is not None and m > now]
        return max(moments) if moments else None


class SeatProvisioning(models.Model):
    """The vendor side of one seat: whether the vendor's workspace holds what the seat's status
    asks (an active user for an active seat, a deactivated one for a suspended seat, none for a
    revoked one), and if not, why and when Seatplan tries again.

    Every intent (outbox event) about the seat bumps `version` and sets the row `pending`; a push
    reads the seat's status at that moment, so however many changes came in between, the latest
    one wins and one call brings the vendor there (a seat activated, suspended and reactivated
    before the worker came round costs one "ensure active"). A push is made by one worker at a
    time (`claimed_until`, a lease), so calls for a seat go out in order; and it counts only if
    `version` did not move while it was out, otherwise the seat stays pending for the next round.
    """

    seat = models.OneToOneField(
        "licensing.Seat", on_delete=models.CASCADE, related_name="provisioning"
    )
    contract = models.ForeignKey(
        "licensing.Contract", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    state = models.CharField(
        max_length=16, choices=ProvisioningState.choices, default=ProvisioningState.PENDING
    )
    version = models.PositiveBigIntegerField(
        default=0, help_text="Bumped by every intent, retry and sync."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Failed tries since the last ask.")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is pushing it until then (a lease)."
    )
    operation = models.CharField(
        max_length=16, choices=Operation.choices, blank=True, help_text="The last push's."
    )
    detail = models.TextField(
        blank=True, help_text="What the vendor said: its message on a failure, else what was done."
    )
    vendor_user_id = models.CharField(max_length=200, blank=True)
    vendor_active = models.BooleanField(
        null=True, blank=True, help_text="What the vendor holds: active, deactivated, or no user."
    )
    provisioned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["seat_id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state=ProvisioningState.PENDING),
                name="vendor_provisioning_due",
            ),
            models.Index(fields=["contract", "state"], name="vendor_provisioning_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ProvisioningState.values),
                name="vendor_seatprovisioning_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Seat {self.seat_id}: {self.state}"


class ProvisioningIntent(models.Model):
    """One seat change the provisioning consumer took from the outbox: a record, unique per
    event (the one target is the vendor), so a batch handed over twice adds nothing. It is
    delivered when a push of its seat that started after it succeeded; intents that a later
    one of the same seat overtook are delivered by that same push (the latest state wins)."""

    event = models.OneToOneField("core.Event", on_delete=models.PROTECT, related_name="+")
    seat = models.ForeignKey("licensing.Seat", on_delete=models.CASCADE, related_name="+")
    to_status = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event_id"]
        indexes = [
            models.Index(
                fields=["seat"],
                condition=models.Q(delivered_at__isnull=True),
                name="vendor_intent_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id}: seat {self.seat_id} → {self.to_status}"


class Reconciliation(models.Model):
    """One comparison of the vendor's member list with Seatplan's seats for a contract: who the
    vendor holds without an active seat (shadow members, billed but never counted), active seats
    the vendor does not hold, and people active on one side only; with what the shadow members
    cost a month. `report` is the JSON the API and `reconcile_vendor --json` give."""

    contract = models.ForeignKey(
        "licensing.Contract", on_delete=models.CASCADE, related_name="reconciliations"
    )
    checked_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=ReconciliationSource.choices)
    vendor_users = models.PositiveIntegerField()
    active_seats = models.PositiveIntegerField()
    shadow_members = models.PositiveIntegerField()
    not_provisioned = models.PositiveIntegerField()
    mismatched = models.PositiveIntegerField()
    monthly_cost_at_risk = models.DecimalField(**MONEY)
    report = models.JSONField(encoder=DjangoJSONEncoder)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = ["checked_at", "id"]
        indexes = [models.Index(fields=["contract", "-checked_at"], name="vendor_recon_latest")]

    def __str__(self) -> str:
        return f"Reconciliation of contract {self.contract_id} at {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def has_drift(self) -> bool:
        return bool(self.shadow_members or self.not_provisioned or self.mismatched)

    def as_json(self) -> dict:
        """The report, its keys in the documented order, as the API and the command give it."""
        return report_ordered(self.report)
