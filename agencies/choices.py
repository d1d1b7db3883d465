from django.db import models


class BargainingStatus(models.TextChoices):
    NONE = "none", "No demand"
    DEMAND_FILED = "demand_filed", "Demand to bargain filed"
    BARGAINING = "bargaining", "Bargaining"
    AGREEMENT = "agreement", "Agreement reached"
    IMPASSE = "impasse", "Impasse"


# While a unit is in one of these states, its members' seats are held (docs/rollout.md).
HOLDING_STATUSES = frozenset(
    {BargainingStatus.DEMAND_FILED, BargainingStatus.BARGAINING, BargainingStatus.IMPASSE}
)


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LEAVE = "leave", "On leave"
    SEPARATED = "separated", "Separated"
