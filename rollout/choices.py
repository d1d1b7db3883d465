from django.db import models


class WaveStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# Waves whose unfilled quotas still count as planned seats in the projection (cost rule 5).
OPEN_WAVE_STATUSES = frozenset(
    {WaveStatus.PLANNED, WaveStatus.APPROVED, WaveStatus.IN_PROGRESS, WaveStatus.PAUSED}
)


class CohortStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    READY = "ready", "Ready"
    ONBOARDING = "onboarding", "Onboarding"
    ONBOARDED = "onboarded", "Onboarded"
    CANCELLED = "cancelled", "Cancelled"


class GateKind(models.TextChoices):
    PRIVACY_REVIEW = "privacy_review", "Privacy review"
    SECURITY_REVIEW = "security_review", "Security review"
    UNION_NOTICE = "union_notice", "Union notice"
    HELP_DESK_READY = "help_desk_ready", "Help desk ready"
    TRAINING_THRESHOLD = "training_threshold", "Training threshold"


# Gates a person signs off; training readiness is computed live from the roster.
SIGNED_GATES = (
    GateKind.PRIVACY_REVIEW,
    GateKind.SECURITY_REVIEW,
    GateKind.UNION_NOTICE,
    GateKind.HELP_DESK_READY,
)
