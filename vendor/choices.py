from django.db import models


class RevokeAction(models.TextChoices):
    DELETE = "delete", "Delete the vendor user"
    DEACTIVATE = "deactivate", "Deactivate the vendor user (active: false)"


class ProvisioningState(models.TextChoices):
    PENDING = "pending", "Pending"
    PROVISIONED = "provisioned", "Provisioned"
    FAILED = "failed", "Failed"


class Operation(models.TextChoices):
    """What a push asks of the vendor for one seat, read from the seat's status at push time."""

    ENSURE_ACTIVE = "ensure_active", "Ensure the user exists and is active"
    DEACTIVATE = "deactivate", "Deactivate the user"
    DELETE = "delete", "Delete the user"
    NOTHING = "nothing", "Nothing to do"


class ReconciliationSource(models.TextChoices):
    SCIM = "scim", "The vendor's SCIM API"
    CSV = "csv", "The vendor console's member-list CSV"
