"""Pages of the rollout app, mounted under /rollout/ by config/urls.py."""

from django.urls import path

from .calendar import onboarding_calendar
from .views import CalendarLinkPage

app_name = "rollout"

urlpatterns = [
    path("calendar.ics", onboarding_calendar, name="calendar"),
    path("calendar/link/", CalendarLinkPage.as_view(), name="calendar-link"),
]
