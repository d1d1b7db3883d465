from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .choices import JobKind, JobStatus


class Job(models.Model):
    """The progress record of a long job (cohort activation, import, reclamation, export, vendor
    sync): what, who, when, how far, and how it ended, so the admin, the API and the pages can
    show it. It lives here, not in the app that runs the job, so every app records its long work
    the same way without importing another app's models."""

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    subject = models.CharField(max_length=200, blank=True, help_text="What the job works on.")
    cohort = models.ForeignKey(
        "rollout.Cohort", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        default=timezone.now, help_text="When the job was last handed to the workers."
    )
    requeued = models.PositiveSmallIntegerField(
        default=0, help_text="How often beat's sweeper queued it again after it stalled."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(
        max_length=64,
        blank=True,
        help_text="The delivery (task id) running the job now; another one stays away while "
        "its heartbeat is fresh.",
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the running job last said it is alive (every few seconds); a stale "
        "heartbeat means its worker died, and the sweeper queues it again.",
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    outcome = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        # The table keeps the name it had when the model lived in `rollout`: moving the model
        # to its shared home rewrote no row.
        db_table = "rollout_job"
        ordering = ["-created_at"]
        indexes = [
            # The sweeper looks for unfinished jobs every few seconds; finished ones are most.
            models.Index(
                fields=["kind", "status"],
                condition=models.Q(status__in=["queued", "running"]),
                name="core_job_unfinished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"


class Event(models.Model):
    """One entry of the outbox: something other systems must hear of (a seat's status, a wave's,
    a threshold crossed, a job finished). A service writes it in the same transaction as the
    change it reports, so an event exists exactly when its cause committed; the dispatcher then
    hands it to every consumer (vendor provisioning, notifications), each of which keeps its own
    delivery state and is idempotent by event id. Events are never edited or deleted by the
    application.

    `agency_ids` is the agency scope: the agencies the event concerns. An empty list means the
    event is contract-wide (figures, a whole contract's state), which an agency coordinator may
    not read."""

    type = models.CharField(max_length=64, db_index=True)
    subject = models.CharField(max_length=100, help_text='What it is about, e.g. "seat:42".')
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    agency_ids = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="core_event_undispatched",
            ),
            models.Index(fields=["type", "id"], name="core_event_type_id"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject} (#{self.pk})"
