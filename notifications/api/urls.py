"""Routes of the notifications API, mounted under /api/v1/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import EmailSubscriptionView, EventTypeListView, EventViewSet, WebhookViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    path("event-types/", EventTypeListView.as_view(), name="event-types"),
    path("email-subscriptions/", EmailSubscriptionView.as_view(), name="email-subscriptions"),
    *router.urls,
]
