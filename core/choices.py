from django.db import models


class JobKind(models.TextChoices):
    COHORT_ACTIVATION = "cohort_activation", "Cohort activation"
    ROSTER_IMPORT = "roster_import", "Roster import"
    USAGE_IMPORT = "usage_import", "Usage import"
    RECLAIM = "reclaim", "Idle-seat reclamation"
    EXPORT = "export", "Export"
    VENDOR_SYNC = "vendor_sync", "Vendor sync"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
