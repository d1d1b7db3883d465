"""Routes of the vendor API, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from .views import ReconciliationView

urlpatterns = [
    path(
        "contracts/<int:id>/reconciliation/",
        ReconciliationView.as_view(),
        name="contract-reconciliation",
    ),
]
