"""Pages of the notifications app, mounted under /notifications/ by config/urls.py."""

from django.urls import path

from .views import (
    PreferencesPage,
    WebhookCreatePage,
    WebhookDeletePage,
    WebhookEditPage,
    WebhookListPage,
    WebhookPage,
    WebhookRedeliverPage,
)

app_name = "notifications"

urlpatterns = [
    path("", PreferencesPage.as_view(), name="preferences"),
    path("webhooks/", WebhookListPage.as_view(), name="webhooks"),
    path("webhooks/new/", WebhookCreatePage.as_view(), name="webhook-new"),
    path("webhooks/<int:pk>/", WebhookPage.as_view(), name="webhook"),
    path("webhooks/<int:pk>/edit/", WebhookEditPage.as_view(), name="webhook-edit"),
    path("webhooks/<int:pk>/delete/", WebhookDeletePage.as_view(), name="webhook-delete"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        WebhookRedeliverPage.as_view(),
        name="webhook-redeliver",
    ),
]
