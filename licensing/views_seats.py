"""Console actions on one seat: request, approve, activate, override a bargaining hold, suspend,
reactivate, revoke. Each is a `config.console.ActionPage` that calls the seat service the API's
action calls (licensing/services/seats.py), so a page and an endpoint refuse alike; each asks for
a written reason, which the service records on the seat's event.

Who may act is the API's answer: rollout managers move seats (`MANAGE`); rollout managers and
agency coordinators request them (`REQUEST_SEATS`), a coordinator for their own agencies only.
Seats and people are looked up through the caller's agency scope, so another agency's id
answers 404, as the API's does.
"""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property

from agencies.forms import agency_cohorts, cohort_label
from agencies.models import Employee
from agencies.views import page_contract
from agencies.views_people import person_label
from config.api.permissions import (
    MANAGE,
    REQUEST_SEATS,
    agency_scope,
    seat_request_scope,
)
from config.console import ActionPage, ReasonField
from rollout.models import Cohort

from . import charts
from .choices import SeatStatus
from .models import Contract, Seat
from .selectors import contract_headroom_seats
from .services.seats import (
    seat_activate,
    seat_approve,
    seat_hold_reason,
    seat_reactivate,
    seat_request,
    seat_revoke,
    seat_suspend,
)


class SeatReasonForm(forms.Form):
    reason = ReasonField()


class SeatActionPage(ActionPage):
    """One action on one seat, by a rollout manager; the seat is found through the caller's
    agency scope. Subclasses say what happens (`what`) and call their service (`act`)."""

    roles = MANAGE
    form_class = SeatReasonForm
    nav = "seats"
    verb = ""

    def get_subject(self) -> Seat:
        seats = Seat.objects.select_related(
            "employee__bargaining_unit", "employee__agency", "agency", "contract", "cohort__wave"
        )
        return get_object_or_404(agency_scope(self.request).filter(seats), pk=self.kwargs["pk"])

    @property
    def who(self) -> str:
        return person_label(self.request, self.subject.employee)

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"{self.verb} the seat of {self.who}"

    @property
    def intro(self) -> str:  # type: ignore[override]
        seat = self.subject
        return (
            f"Seat #{seat.pk} under {seat.contract.name} ({seat.contract.number}) is "
            f"{seat.get_status_display().lower()}."
        )

    def person_url(self) -> str:
        return reverse("web:person", kwargs={"pk": self.subject.employee_id}) + "#seats"

    def cancel_url(self) -> str:
        return self.person_url()

    def what(self, form) -> list[str]:
        return []

    def warning(self) -> str:
        return ""

    def preview(self, form):
        lines = [
            *self.what(form),
            f"Your reason is recorded on the seat's history: “{form.cleaned_data['reason']}”.",
        ]
        return {"lines": lines, "warning": self.warning()}

    def act(self, seat: Seat, reason: str) -> Seat:
        raise NotImplementedError

    def perform(self, form) -> str:
        seat = self.act(self.subject, form.cleaned_data["reason"])
        self.success(f"Seat #{seat.pk} of {self.who} is now {seat.get_status_display().lower()}.")
        return self.person_url()


def _headroom_lines(contract: Contract) -> list[str]:
    room = contract_headroom_seats(contract)
    if room is None:
        return ["No number of seats reaches the contract's ceiling: it stays out of reach."]
    return [
        f"Headroom under the ceiling of {charts.full_money(contract.ceiling_amount)}: "
        f"{room:,} seat{'s' if room != 1 else ''} now, {max(room - 1, 0):,} after."
    ]


def _cohort_line(seat: Seat) -> str:
    if seat.cohort_id:
        cohort = seat.cohort
        return (
            f"It counts against {seat.agency.code}'s quota in wave {cohort.wave.number} "
            f"({cohort.wave.name}): {cohort.seat_quota:,} seats."
        )
    return f"It counts against {seat.agency.code}'s cohort in the wave now in progress."


class SeatApprove(SeatActionPage):
    verb = "Approve"
    submit_label = "Review the approval"
    confirm_label = "Approve the seat"

    def what(self, form):
        return [f"The seat becomes approved: {self.who} may be invited; it is not billed yet."]

    def act(self, seat, reason):
        return seat_approve(seat=seat, actor=self.request.user, reason=reason)


class SeatActivate(SeatActionPage):
    verb = "Activate"
    submit_label = "Review the activation"
    confirm_label = "Activate the seat"

    def what(self, form):
        seat = self.subject
        return [
            "The seat becomes active and is billed from this billing period on.",
            _cohort_line(seat),
            *_headroom_lines(seat.contract),
        ]

    def act(self, seat, reason):
        return seat_activate(seat=seat, actor=self.request.user, reason=reason)


class SeatOverride(SeatActionPage):
    """Activate (or reactivate) a seat despite its bargaining unit's hold: a rollout manager's
    decision, written down. The service refuses anyone else and an empty reason."""

    submit_label = "Review the override"
    confirm_label = "Override the hold and activate"

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Override the bargaining hold on the seat of {self.who}"

    @property
    def intro(self) -> str:  # type: ignore[override]
        return " ".join(
            part
            for part in (
                super().intro,
                seat_hold_reason(self.subject.employee) or "",
                "Activating it anyway is a rollout manager's decision: say why below.",
            )
            if part
        )

    def what(self, form):
        seat = self.subject
        hold = seat_hold_reason(seat.employee)
        return [
            *([f"The hold: {hold}"] if hold else []),
            "The seat becomes active despite the hold and is billed from this billing period on.",
            _cohort_line(seat),
            *_headroom_lines(seat.contract),
        ]

    def warning(self):
        return (
            "This overrides a bargaining hold. Your name, the time and your reason are recorded "
            "on the seat's history as an override."
        )

    def act(self, seat, reason):
        service = seat_reactivate if seat.status == SeatStatus.SUSPENDED else seat_activate
        return service(seat=seat, actor=self.request.user, reason=reason, override=True)


class SeatSuspend(SeatActionPage):
    verb = "Suspend"
    submit_label = "Review the suspension"
    confirm_label = "Suspend the seat"

    def what(self, form):
        return [
            f"The seat is suspended: {self.who} loses access; it stays theirs and can be "
            "reactivated.",
            "It is not billed from the next billing period on (this period stays billed).",
        ]

    def act(self, seat, reason):
        return seat_suspend(seat=seat, actor=self.request.user, reason=reason)


class SeatReactivate(SeatActionPage):
    verb = "Reactivate"
    submit_label = "Review the reactivation"
    confirm_label = "Reactivate the seat"

    def what(self, form):
        return [
            "The seat becomes active again, under the same rules as a first activation, and is "
            "billed from this billing period on.",
            *_headroom_lines(self.subject.contract),
        ]

    def act(self, seat, reason):
        return seat_reactivate(seat=seat, actor=self.request.user, reason=reason)


class SeatRevoke(SeatActionPage):
    verb = "Revoke"
    submit_label = "Review the revocation"
    confirm_label = "Revoke the seat"

    def what(self, form):
        return [
            f"The seat is revoked for good; {self.who} may be given a new seat later.",
            "A revoked seat is not billed from the next billing period on.",
        ]

    def warning(self):
        return "A revoked seat cannot be brought back."

    def act(self, seat, reason):
        return seat_revoke(seat=seat, actor=self.request.user, reason=reason)


# ---------------------------------------------------------------------------------------------
# Requesting a seat for one person
# ---------------------------------------------------------------------------------------------


class SeatRequestForm(forms.Form):
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(),
        required=False,
        empty_label="— let activation find it —",
        label="Cohort",
        help_text="The agency's cohort the seat belongs to. Left empty, activation puts it in "
        "the cohort of the wave in progress.",
    )
    reason = ReasonField()

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
        self.fields["cohort"].label_from_instance = cohort_label


class SeatRequestPage(ActionPage):
    """Request a seat for one person (`seat_request`, as `POST /api/v1/seats/`): a rollout
    manager for anyone, a coordinator for their own agencies' people (anyone else: 404). A
    member of a unit in bargaining gets a held seat, and the confirmation says so first."""

    roles = REQUEST_SEATS
    form_class = SeatRequestForm
    nav = "seats"
    submit_label = "Review the request"
    confirm_label = "Request the seat"

    def get_subject(self) -> Employee:
        people = Employee.objects.select_related("agency", "bargaining_unit")
        return get_object_or_404(
            seat_request_scope(self.request).filter(people), pk=self.kwargs["pk"]
        )

    @cached_property
    def contract(self) -> Contract:
        return page_contract(self.request)

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Request a seat for {person_label(self.request, self.subject)}"

    @property
    def intro(self) -> str:  # type: ignore[override]
        return f"Under {self.contract.name} ({self.contract.number})."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["cohorts"] = agency_cohorts(self.subject.agency_id, self.contract)
        return kwargs

    def cancel_url(self) -> str:
        return reverse("web:person", kwargs={"pk": self.subject.pk})

    def preview(self, form):
        employee = self.subject
        held = seat_hold_reason(employee)
        cohort = form.cleaned_data.get("cohort")
        lines = [
            f"A seat is requested for {person_label(self.request, employee)} under "
            f"{self.contract.name}"
            + (f", in wave {cohort.wave.number} ({cohort.wave.name})." if cohort else "."),
            "Nothing is billed until a rollout manager activates it.",
        ]
        return {
            "lines": lines,
            "warning": f"The seat will be held: {held}" if held else "",
        }

    def perform(self, form) -> str:
        seat = seat_request(
            employee=self.subject,
            contract=self.contract,
            cohort=form.cleaned_data.get("cohort"),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        self.success(
            f"Seat #{seat.pk} requested for {person_label(self.request, self.subject)}: "
            f"{seat.get_status_display().lower()}."
        )
        return reverse("web:person", kwargs={"pk": self.subject.pk}) + "#seats"
