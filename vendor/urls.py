"""Routes of the vendor pages, mounted at /vendor/ by config/urls.py (namespace `vendor`)."""

from django.urls import path

from .views import (
    ProvisioningQueuePage,
    ReconcileNowPage,
    ReconciliationPage,
    RetryFailedPage,
    SeatProvisioningRetry,
    VendorHome,
)

app_name = "vendor"

urlpatterns = [
    path("", VendorHome.as_view(), name="home"),
    path("provisioning/", ProvisioningQueuePage.as_view(), name="queue"),
    path("provisioning/retry-failed/", RetryFailedPage.as_view(), name="retry-failed"),
    path("seats/<int:pk>/retry/", SeatProvisioningRetry.as_view(), name="seat-retry"),
    path("contracts/<int:pk>/reconciliation/", ReconciliationPage.as_view(), name="reconciliation"),
    path(
        "contracts/<int:pk>/reconciliation/run/", ReconcileNowPage.as_view(), name="reconcile-now"
    ),
]
