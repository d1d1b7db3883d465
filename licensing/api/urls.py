"""Routes of the licensing API, mounted under /api/v1/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ContractViewSet,
    SeatCountsView,
    SeatEventViewSet,
    SeatViewSet,
    UsageDayViewSet,
)

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")
router.register("seats", SeatViewSet, basename="seat")
router.register("seat-events", SeatEventViewSet, basename="seat-event")
router.register("usage-days", UsageDayViewSet, basename="usage-day")

urlpatterns = [
    path("seat-counts/", SeatCountsView.as_view(), name="seat-counts"),
    *router.urls,
]
