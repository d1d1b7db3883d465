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
