from django.conf import settings
from django.db import models
from django.utils import timezone

from .catalog import SUBSCRIBABLE_CHOICES
from .choices import DeliveryStatus, EmailMode


class CostThresholdState(models.Model):
    """Which cost thresholds of a contract are tripped (`notifications.thresholds`): remembered
    between cost snapshots so that a threshold is reported once when crossed, and again only
    after the figure has fallen back below it by the hysteresis margin. `as_of` is the day of
    the latest snapshot judged; an older snapshot (a recompute of a past day) is not judged."""

    contract = models.OneToOneField(
        "licensing.Contract", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    tripped = models.JSONField(default=list, blank=True)
    as_of = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Thresholds of contract {self.contract_id}: {', '.join(self.tripped) or 'none'}"


class CohortGateState(models.Model):
    """Whether a cohort's readiness gates passed when last judged, so `cohort.gates_passed` is
    sent once per change from failing to passing, however often the gates are judged."""

    cohort = models.OneToOneField(
        "rollout.Cohort", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    passing = models.BooleanField()
    changed_at = models.DateTimeField(default=timezone.now)
    observed_at = models.DateTimeField(
        null=True, blank=True, help_text="When last judged; empty until the first judgement."
    )

    def __str__(self) -> str:
        return f"Gates of cohort {self.cohort_id}: {'passing' if self.passing else 'failing'}"


class WebhookEndpoint(models.Model):
    """A URL another system gave to receive events, signed per the Standard Webhooks
    specification with `secret` (shown to its owner once, when created). It receives the event
    types it names that its owner's role may read, from the moment it was created. An endpoint
    that fails every delivery for `WEBHOOK_DISABLE_AFTER_HOURS` is disabled and its owner told."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100, help_text="whsec_… ; never shown after creation.")
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="When the current run of failed attempts began."
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Webhook {self.pk} → {self.url}"


class Delivery(models.Model):
    """What every delivery row keeps: where it stands, how often it was tried, when it is due,
    and the lease a worker holds while it sends (`lease_until`): a row is claimed by one worker
    at a time, and a worker that dies leaves a lease that expires instead of a lock."""

    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts made, all rounds.")
    retries = models.PositiveIntegerField(
        default=0, help_text="Failed attempts since the last (re)delivery was asked for."
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class WebhookDelivery(Delivery):
    """One event for one endpoint: at most one row per (event, endpoint), however often the
    outbox hands the event out. Every attempt sends the same `webhook-id` (the event's), so a
    receiver that deduplicates on it processes the event once even when an attempt is repeated
    because its worker died before it could record the answer."""

    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="notifications_webhookdelivery_once"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="notifications_webhookdelivery_status_known",
            ),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "next_attempt_at", "id"],
                condition=models.Q(status=DeliveryStatus.PENDING),
                name="notif_webhook_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} → webhook {self.endpoint_id} ({self.status})"


class EmailSubscription(models.Model):
    """A person's choice to receive one event type by email, at once or in the daily digest.
    A coordinator receives only the events of their own agencies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_subscriptions"
    )
    event_type = models.CharField(max_length=64, choices=SUBSCRIBABLE_CHOICES)
    mode = models.CharField(max_length=16, choices=EmailMode.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "event_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_type"], name="notifications_emailsubscription_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=EmailMode.values),
                name="notifications_emailsubscription_mode_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event_type} ({self.mode})"


class EmailDelivery(Delivery):
    """One event for one person's mailbox: at most one row per (event, user). Sent at once
    (several due together share one message) or in the next daily digest."""

    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries"
    )
    mode = models.CharField(max_length=16, choices=EmailMode.choices)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="notifications_email_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="notifications_emaildelivery_status_known",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "mode", "next_attempt_at", "id"],
                condition=models.Q(status=DeliveryStatus.PENDING),
                name="notif_email_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} → user {self.user_id} ({self.mode}, {self.status})"
