from django.db import models


class TierMode(models.TextChoices):
    VOLUME = "volume", "Volume (all units at the reached tier's price)"
    GRADUATED = "graduated", "Graduated (each seat at its own tier's price)"


class BillingBasis(models.TextChoices):
    ASSIGNED = "assigned", "Assigned (active at least one day in the period)"
    ENGAGED = "engaged", "Engaged (sent at least one message in the period)"


class ShortfallAllocation(models.TextChoices):
    CENTRAL = "central", "Central fund (agencies pay what their persons cost)"
    PRO_RATA = "pro_rata", "Pro rata (agencies share the whole charge)"


class SeatStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    HELD = "held", "Held for bargaining"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


class BillingLineStatus(models.TextChoices):
    ACCRUED = "accrued", "Accrued"
    INVOICED = "invoiced", "Invoiced"
    PAID = "paid", "Paid"
