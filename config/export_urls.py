"""Routes of the exports API, included at /api/v1/exports/ (see licensing/export_views.py)."""

from django.urls import path

from licensing.export_views import ExportView

app_name = "exports"

urlpatterns = [
    path("<str:kind>/", ExportView.as_view(), name="export"),
]
