"""A throwaway console action mounted only by tests/config/test_console.py, to test the kit's flow
apart from any real page."""

from django import forms
from django.urls import include, path

from config.console import ActionPage, ReasonField
from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER

DONE: list[tuple[int, str]] = []


class SeatsForm(forms.Form):
    seats = forms.IntegerField(min_value=1)
    reason = ReasonField()


class AddSeats(ActionPage):
    roles = (ROLLOUT_MANAGER,)
    form_class = SeatsForm
    title = "Add seats"
    submit_label = "Preview"

    def preview(self, form):
        return {"lines": [f"{form.cleaned_data['seats']} seats will be added."]}

    def perform(self, form):
        if form.cleaned_data["seats"] == 13:
            raise BusinessRuleError("ceiling_reached", "Only 12 more seats fit under the ceiling.")
        DONE.append((form.cleaned_data["seats"], form.cleaned_data["reason"]))
        return "/done/"


urlpatterns = [
    path("", include("config.web_urls")),
    path("add/", AddSeats.as_view(), name="add-seats"),
]
