from django.apps import AppConfig


class VendorConfig(AppConfig):
    """The vendor's workspace, kept in step with the seats: SCIM provisioning, its queue, and the
    reconciliation of the vendor's member list against Seatplan's seats."""

    name = "vendor"
    verbose_name = "Vendor workspace"
