from django.db import models


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"
