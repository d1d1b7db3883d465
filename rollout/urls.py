"""Pages of the rollout app, mounted under /rollout/ by config/urls.py."""

from django.urls import path

from .calendar import onboarding_calendar

app_name = "rollout"

urlpatterns = [
    path("calendar.ics", onboarding_calendar, name="calendar"),
]
