from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from rest_framework_api_key.models import AbstractAPIKey
from simple_history.models import HistoricalRecords

from .choices import HOLDING_STATUSES, BargainingStatus, EmploymentStatus
from .fields import LowercaseEmailField


class Agency(models.Model):
    """A secretariat or agency of the executive branch: the unit that is scheduled into a wave,
    holds a seat quota and is charged back its share of the contract. `parent` links an agency
    to the secretariat above it; `headcount` is its eligible workforce."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    headcount = models.PositiveIntegerField(default=0)
    chargeback_code = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(headcount__gte=0), name="agencies_agency_headcount_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class BargainingUnit(models.Model):
    """A collective-bargaining unit (e.g. NAGE Unit 1). While its union has demanded to bargain,
    is bargaining or is at impasse, its members' seats are held: activating one needs a rollout
    manager's recorded override."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    union = models.CharField(max_length=100)
    bargaining_status = models.CharField(
        max_length=20, choices=BargainingStatus.choices, default=BargainingStatus.NONE
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.union})"

    @property
    def holds_seats(self) -> bool:
        return self.bargaining_status in HOLDING_STATUSES


class Employee(models.Model):
    """A person in the executive branch's workforce, as HR's roster describes them. Seats are
    issued to employees; training and policy acknowledgement dates feed the readiness gates."""

    employee_number = models.CharField(max_length=32, unique=True)
    email = LowercaseEmailField(max_length=254)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="employees")
    bargaining_unit = models.ForeignKey(
        BargainingUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    job_title = models.CharField(max_length=200, blank=True)
    employment_status = models.CharField(
        max_length=20, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE
    )
    training_completed_on = models.DateField(null=True, blank=True)
    policy_acknowledged_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Every created or changed employee, by whom, when and through which import (the change
    # reason names the file and its job). Bulk paths write it with simple_history's bulk helpers.
    history = HistoricalRecords()

    class Meta:
        ordering = ["employee_number"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="agencies_employee_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["agency", "employment_status"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.employee_number})"

    @property
    def is_trained(self) -> bool:
        return bool(self.training_completed_on and self.policy_acknowledged_on)


class CoordinatorAgency(models.Model):
    """An agency an agency coordinator acts for. A coordinator sees and requests seats only
    for the agencies listed here; everything else answers as if it did not exist."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinated_agencies"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="coordinators")

    class Meta:
        ordering = ["user", "agency"]
        verbose_name_plural = "coordinator agencies"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency"], name="agencies_coordinatoragency_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} coordinates {self.agency.code}"


class UserAPIKey(AbstractAPIKey):
    """A hashed API key that authenticates a REST client as `user` (so the user's role and
    agency scope apply). Only a hash is stored; a key is revoked, never un-revoked, and may
    carry an expiry date."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "user API key"
        verbose_name_plural = "user API keys"


class ImportUpload(models.Model):
    """An import file (a roster, a usage export) uploaded through a page, kept in the database
    between its preview (dry run) and its confirmed import, so the Celery worker that runs
    either (possibly on another host) reads the very bytes the person uploaded and the person
    confirms without uploading again. Deleted once imported; abandoned previews are purged after
    a day."""

    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} (upload #{self.pk})"
