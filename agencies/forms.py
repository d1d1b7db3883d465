"""Forms of the agencies app's console pages."""

from __future__ import annotations

from django import forms

from config.console import ReasonField
from licensing.charts import day_label
from licensing.models import Contract
from rollout.models import Cohort

from .models import Employee


def agency_cohorts(agency_id: int, contract: Contract):
    """The cohorts a seat of the agency may be requested into under the contract: its own, in
    the contract's waves (what the API's seat request accepts)."""
    return (
        Cohort.objects.filter(agency_id=agency_id, wave__contract=contract)
        .select_related("wave")
        .order_by("wave__number")
    )


class SelectedPeopleForm(forms.Form):
    """The people ticked on the agency page (only those posted are choices, so a page never
    lists the whole agency), the cohort and the reason."""

    employee = forms.ModelMultipleChoiceField(
        queryset=Employee.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="People",
        error_messages={"required": "Tick at least one person to request a seat for."},
    )
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(),
        required=False,
        empty_label="— let activation find it —",
        label="Cohort",
        help_text="The agency's cohort the seats belong to. Left empty, activation puts each in "
        "the cohort of the wave in progress.",
    )
    reason = ReasonField()

    def __init__(self, *args, people, cohorts, names: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = people
        self.fields["employee"].label_from_instance = (
            (lambda e: f"{e.last_name}, {e.first_name} ({e.employee_number})")
            if names
            else (lambda e: e.employee_number)
        )
        self.fields["cohort"].queryset = cohorts
        self.fields["cohort"].label_from_instance = cohort_label


def cohort_label(cohort: Cohort) -> str:
    return (
        f"Wave {cohort.wave.number}: {cohort.wave.name} ({cohort.wave.get_status_display()}, "
        f"onboarding {day_label(cohort.onboarding_date)})"
    )
