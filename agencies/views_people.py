"""Pages about people: one person's page (their seats under every contract, each seat's history,
the bargaining hold on it, and the actions the reader may take), and the seat request for
people selected on an agency's page.

Who sees what is the API's answer: every role reads a person of an agency in its scope (a
coordinator: their own agencies; anyone else's person is 404), names and the free-text reasons
of the history only where `personal_scope` allows. Actions are the seat services', reached
through `licensing.views_seats` (one seat) and `AgencySeatRequest` here (a selection).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView

from config.api.permissions import (
    MANAGE,
    READ,
    REQUEST_SEATS,
    agency_scope,
    has_any_role,
    personal_scope,
    seat_request_scope,
)
from config.console import ActionPage
from licensing.choices import SeatStatus
from licensing.models import Contract, Seat
from licensing.selectors import employee_seats
from licensing.services.seats import seat_hold_reason, seats_request_bulk

from .choices import EmploymentStatus
from .forms import SelectedPeopleForm, agency_cohorts
from .models import Agency, Employee
from .views import PageMixin, page_contract

# The seat actions a rollout manager is offered by a seat's status, in the order shown. A
# seat of a member of a unit that holds seats is offered the override instead of activation.
SEAT_ACTIONS = {
    SeatStatus.REQUESTED: ("approve", "activate", "revoke"),
    SeatStatus.HELD: ("override", "revoke"),
    SeatStatus.APPROVED: ("activate", "revoke"),
    SeatStatus.ACTIVE: ("suspend", "revoke"),
    SeatStatus.SUSPENDED: ("reactivate", "revoke"),
    SeatStatus.REVOKED: (),
}
ACTION_LABELS = {
    "approve": "Approve",
    "activate": "Activate",
    "override": "Override the hold and activate",
    "suspend": "Suspend",
    "reactivate": "Reactivate",
    "revoke": "Revoke",
}


def person_label(request, employee: Employee) -> str:
    """How a page names a person: "First Last (number)" to a reader of their personal fields,
    "employee number" to anyone else."""
    if personal_scope(request).allows(employee.agency_id):
        return f"{employee.first_name} {employee.last_name} ({employee.employee_number})"
    return f"employee {employee.employee_number}"


def seat_hold(seat: Seat, employee: Employee, personal: bool) -> dict | None:
    """Which unit holds the seat and why: the unit, its union, where its bargaining stands and
    since when, the rule's words, and (to readers of personal fields) the reason recorded when
    the seat was held. None when nothing holds the seat."""
    unit = employee.bargaining_unit
    rule = seat_hold_reason(employee)
    held = seat.status == SeatStatus.HELD
    if not held and (rule is None or seat.status in (SeatStatus.ACTIVE, SeatStatus.REVOKED)):
        return None
    event = next((e for e in reversed(seat.events.all()) if e.to_status == SeatStatus.HELD), None)
    return {
        "unit": unit,
        "rule": rule,
        "held": held,
        "event": event,
        "recorded": event.reason if event is not None and personal else "",
    }


class PersonPage(PageMixin, TemplateView):
    """One person: who they are (names only to readers of personal fields), their bargaining
    unit and readiness, and every seat they have had with its full history. A rollout manager
    gets the seat actions; a rollout manager or their coordinator may request a seat."""

    template_name = "agencies/person.html"
    nav = "seats"
    roles = READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        people = Employee.objects.select_related("agency", "bargaining_unit")
        employee = get_object_or_404(agency_scope(request).filter(people), pk=kwargs["pk"])
        personal = personal_scope(request).allows(employee.agency_id)
        contract = page_contract(request)
        seats = employee_seats(employee.pk)
        manage = has_any_role(request.user, MANAGE)
        rows = []
        for seat in seats:
            hold = seat_hold(seat, employee, personal)
            actions = SEAT_ACTIONS[seat.status] if manage else ()
            if hold and "activate" in actions:
                actions = tuple("override" if a == "activate" else a for a in actions)
            if hold and seat.status == SeatStatus.SUSPENDED:
                actions = tuple("override" if a == "reactivate" else a for a in actions)
            rows.append(
                {
                    "seat": seat,
                    "events": list(seat.events.all()),
                    "hold": hold,
                    "actions": [
                        (
                            ACTION_LABELS[name],
                            reverse(f"web:seat-{name}", kwargs={"pk": seat.pk}),
                            name,
                        )
                        for name in actions
                    ],
                }
            )
        open_seat = any(
            s.contract_id == contract.pk and s.status != SeatStatus.REVOKED for s in seats
        )
        may_request = (
            has_any_role(request.user, REQUEST_SEATS)
            and seat_request_scope(request).allows(employee.agency_id)
            and contract.is_active
            and not open_seat
            and employee.employment_status != EmploymentStatus.SEPARATED
        )
        context.update(
            employee=employee,
            name=person_label(request, employee),
            personal=personal,
            contract=contract,
            rows=rows,
            unit_hold=seat_hold_reason(employee),
            may_request=may_request,
            request_url=reverse("web:seat-request", kwargs={"pk": employee.pk}),
            agency_url=reverse("web:agency", kwargs={"code": employee.agency.code}),
        )
        return context


# ---------------------------------------------------------------------------------------------
# Seats for people selected on an agency's page
# ---------------------------------------------------------------------------------------------


class AgencySeatRequest(ActionPage):
    """Request seats for the people selected on an agency's page, all or nothing
    (`seats_request_bulk`, which is `seat_request` for each). A coordinator may do it for their
    own agencies; an agency out of their scope, or a posted id that is not one of its people,
    answers 404 exactly like a missing one. The confirmation lists who gets a seat and whose
    seat will be held, naming the unit."""

    roles = REQUEST_SEATS
    form_class = SelectedPeopleForm
    template_name = "agencies/request_seats.html"
    nav = "seats"
    submit_label = "Review the requests"
    confirm_label = "Request the seats"

    def get_subject(self) -> Agency:
        agencies = seat_request_scope(self.request).filter(Agency.objects.all(), "id")
        return get_object_or_404(agencies, code=self.kwargs["code"])

    @cached_property
    def contract(self) -> Contract:
        return page_contract(self.request)

    @cached_property
    def names(self) -> bool:
        return personal_scope(self.request).allows(self.subject.pk)

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Request seats for people of {self.subject.code}"

    @property
    def intro(self) -> str:  # type: ignore[override]
        return (
            f"{self.subject.name}, under {self.contract.name} ({self.contract.number}). Choose "
            "the people on the agency's page; nothing is billed until a rollout manager "
            "activates a seat."
        )

    def cancel_url(self) -> str:
        return self.agency_url()

    def agency_url(self) -> str:
        return reverse("web:agency", kwargs={"code": self.subject.code}) + "#people"

    def posted_ids(self) -> list[int]:
        """The ids ticked, every one of them this agency's person within the caller's scope;
        anything else is 404, as the API answers for an object out of scope."""
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        raw = data.getlist("employee")
        if not all(value.isdigit() and len(value) <= 18 for value in raw):
            raise Http404("No such person.")
        ids = sorted({int(value) for value in raw})
        people = seat_request_scope(self.request).filter(
            Employee.objects.filter(agency=self.subject, pk__in=ids)
        )
        if people.count() != len(ids):
            raise Http404("No such person.")
        return ids

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["people"] = (
            Employee.objects.filter(pk__in=self.posted_ids())
            .select_related("bargaining_unit", "agency")
            .order_by(*(("last_name", "first_name") if self.names else ()), "employee_number")
        )
        kwargs["cohorts"] = agency_cohorts(self.subject.pk, self.contract)
        kwargs["names"] = self.names
        return kwargs

    def get_initial(self):
        return {"employee": self.posted_ids()}

    def preview(self, form):
        people = list(form.cleaned_data["employee"])
        cohort = form.cleaned_data.get("cohort")
        held = [(e, seat_hold_reason(e)) for e in people]
        held = [(e, why) for e, why in held if why]
        where = f" in wave {cohort.wave.number} ({cohort.wave.name})" if cohort else ""
        lines = [
            f"{len(people):,} seat{'s' if len(people) != 1 else ''} will be requested under "
            f"{self.contract.name}{where}.",
            "Nothing is billed until a rollout manager activates a seat.",
        ]
        if held:
            lines.append(
                f"{len(held):,} of them will be held for bargaining (see the table): a rollout "
                "manager must override the hold, with a written reason, to activate them."
            )
        rows = [
            [
                (f"{e.last_name}, {e.first_name}" if self.names else e.employee_number),
                e.employee_number,
                next((why for p, why in held if p.pk == e.pk), "") or "Requested",
            ]
            for e in people
        ]
        return {
            "lines": lines,
            "table": {"head": ["Person", "Employee number", "Seat will be"], "rows": rows},
        }

    def perform(self, form) -> str:
        seats = seats_request_bulk(
            employees=list(form.cleaned_data["employee"]),
            contract=self.contract,
            cohort=form.cleaned_data.get("cohort"),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        held = sum(1 for s in seats if s.status == SeatStatus.HELD)
        self.success(
            f"{len(seats):,} seat{'s' if len(seats) != 1 else ''} requested for people of "
            f"{self.subject.code}" + (f"; {held:,} held for bargaining." if held else ".")
        )
        return self.agency_url()
