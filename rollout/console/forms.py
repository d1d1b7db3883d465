"""Forms of the rollout console. They check the shape of the input only; every rule is the
service's, which answers with its own words when it refuses."""

from __future__ import annotations

from django import forms

from config.console import ReasonField


class WaveActionForm(forms.Form):
    """Approve, start, pause, resume, complete or cancel a wave: the reason is recorded with the
    change (`WaveEvent`) and shown on the timeline."""

    reason = ReasonField(
        help_text="Recorded with the change, your name and the time, and shown on the timeline."
    )


class SignOffForm(forms.Form):
    evidence = ReasonField(
        label="Evidence",
        help_text=(
            "What the sign-off rests on: a ticket, a memo, a link. Recorded with your name and "
            "the time; signing again replaces it."
        ),
    )


class ReopenForm(forms.Form):
    reason = ReasonField(
        help_text="Why the gate no longer holds. Added to the gate's evidence with your name and "
        "the day."
    )


class ActivateForm(forms.Form):
    """Nothing to fill in: the preview is a dry run of the cohort as it stands."""


SELECTION_CHOICES = [
    ("all", "Every seat listed below"),
    ("chosen", "Only the seats I tick"),
]


class ReclaimForm(forms.Form):
    """Which of the listed candidates to reclaim: all of them, or those ticked."""

    selection = forms.ChoiceField(
        label="Which seats",
        choices=SELECTION_CHOICES,
        initial="all",
        widget=forms.RadioSelect,
    )
    seats = forms.TypedMultipleChoiceField(
        label="Seats to reclaim", required=False, coerce=int, choices=()
    )

    def __init__(self, *args, candidates: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.fields["seats"].choices = [(pk, str(pk)) for pk in candidates]
        self.fields["seats"].error_messages["invalid_choice"] = (
            "Seat %(value)s is no longer a candidate for reclamation: reload the list."
        )

    def clean(self):
        data = super().clean()
        if data.get("selection") == "chosen" and not data.get("seats"):
            self.add_error("seats", "Tick at least one seat, or choose every seat listed.")
        return data

    def chosen(self) -> list[int]:
        """The seat ids the manager chose."""
        if self.cleaned_data["selection"] == "all":
            return list(self.candidates)
        return list(self.cleaned_data["seats"])


class DateInput(forms.DateInput):
    """A browser date picker; the value is ISO (YYYY-MM-DD), which every browser sends."""

    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class WaveForm(forms.Form):
    """A wave's name and planned window; the plan service checks the window against the term and
    the cohorts' onboarding days."""

    name = forms.CharField(label="Name", max_length=200)
    planned_start = forms.DateField(label="Planned start", widget=DateInput())
    planned_end = forms.DateField(label="Planned end", widget=DateInput())
    reason = ReasonField(help_text="Recorded in the wave's history with your name and the time.")


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, agency) -> str:
        return f"{agency.code} · {agency.name} (headcount {agency.headcount:,})"


class CohortAddForm(forms.Form):
    """An agency scheduled in a planned wave: its seat quota and its onboarding day."""

    agency = AgencyChoiceField(label="Agency", queryset=None, empty_label="Choose an agency")
    seat_quota = forms.IntegerField(label="Seat quota", min_value=0)
    onboarding_date = forms.DateField(label="Onboarding day", widget=DateInput())
    reason = ReasonField(help_text="Recorded in the cohort's history with your name and the time.")

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


class CohortChangeForm(forms.Form):
    seat_quota = forms.IntegerField(label="Seat quota", min_value=0)
    onboarding_date = forms.DateField(label="Onboarding day", widget=DateInput())
    reason = ReasonField(help_text="Recorded in the cohort's history with your name and the time.")


class PlanReasonForm(forms.Form):
    reason = ReasonField(help_text="Recorded in the cohort's history with your name and the time.")
