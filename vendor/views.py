"""Web pages of the vendor app, routed by config/web_urls.py (names `web:vendor-…`): the
provisioning queue (rollout managers: what waits, what the vendor refused and why, with retry),
the reconciliation of the vendor's members against the seats (rollout managers and finance), and
the actions they offer, each through the console kit (`config.console.ActionPage`) and the same
services as the commands and the admin.

Who may open them are the API's roles; the seats listed are the caller's agency scope's
(managers and finance see every agency), their names the personal scope's."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import RedirectView, TemplateView

from agencies.views import PAGE_SIZE, PageMixin, page_contract
from config.api.permissions import MANAGE, agency_scope, has_any_role, personal_scope
from config.console import ActionPage
from licensing.choices import SeatStatus
from licensing.models import Contract, Seat

from .api.views import RECONCILIATION
from .choices import ProvisioningState
from .selectors import (
    circuits_for_contracts,
    contract_connection,
    provisioning_counts,
    provisioning_queue,
    reconciliation_latest,
    reconciliations_recent,
)
from .services import provisioning_retry_failed, reconciliation_request, seat_provisioning_retry

STATE_FILTERS = [("", "Every state"), *ProvisioningState.choices]
VENDOR_PAGES = (*MANAGE, *RECONCILIATION)


class VendorHome(PageMixin, RedirectView):
    """/vendor/: managers to the provisioning queue, finance to the reconciliation."""

    roles = VENDOR_PAGES

    def get_redirect_url(self, *args, **kwargs):
        contract = page_contract(self.request)
        if has_any_role(self.request.user, MANAGE):
            return reverse("web:vendor-queue") + f"?contract={contract.pk}"
        return reverse("web:vendor-reconciliation", kwargs={"pk": contract.pk})


class ProvisioningQueuePage(PageMixin, TemplateView):
    """A contract's seats as the vendor holds them: counts per state, the vendor's circuit, and
    the seats, failures first, with what the vendor said and a retry."""

    template_name = "vendor/queue.html"
    roles = MANAGE
    nav = "vendor"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        contract = page_contract(request)
        state = request.GET.get("state", "")
        if state not in ProvisioningState.values:
            state = ""
        rows = agency_scope(request).filter(
            provisioning_queue(contract=contract, state=state or None), "seat__agency"
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        personal = personal_scope(request)
        context.update(
            {
                "contract": contract,
                "contracts": Contract.objects.order_by("-is_active", "start_date", "id"),
                "connection": contract_connection(contract.pk),
                "circuits": [circuit for _, circuit in circuits_for_contracts([contract.pk])],
                "counts": provisioning_counts(contract=contract),
                "state": state,
                "state_filters": STATE_FILTERS,
                "page_obj": page,
                "rows": [
                    {"row": row, "named": personal.allows(row.seat.agency_id)}
                    for row in page.object_list
                ],
                "reconciliation": reconciliation_latest(contract),
            }
        )
        return context


class _NoFields(forms.Form):
    """An action that needs nothing but the button."""


class SeatProvisioningRetry(ActionPage):
    """Retry one seat's push now."""

    roles = MANAGE
    form_class = _NoFields
    title = "Retry the vendor push"
    submit_label = "Retry now"
    nav = "vendor"

    def get_subject(self):
        seats = Seat.objects.select_related("employee", "agency", "contract")
        return get_object_or_404(agency_scope(self.request).filter(seats), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seat = self.subject
        context["intro"] = (
            f"Seat {seat.pk} ({seat.employee.employee_number}) is {seat.status}: Seatplan "
            "will bring the vendor's workspace in line with it now."
        )
        return context

    def perform(self, form) -> str:
        seat = self.subject
        seat_provisioning_retry(seat=seat, actor=self.request.user)
        self.success(f"Seat {seat.pk} will be pushed to the vendor again.")
        return reverse("web:vendor-queue") + f"?contract={seat.contract_id}#seat-{seat.pk}"

    def cancel_url(self) -> str:
        return reverse("web:vendor-queue") + f"?contract={self.subject.contract_id}"


class RetryFailedPage(ActionPage):
    """Retry every failed seat of a contract, after saying how many."""

    roles = MANAGE
    form_class = _NoFields
    title = "Retry every failed vendor push"
    submit_label = "Preview"
    confirm_label = "Retry them"
    nav = "vendor"

    def get_subject(self):
        return page_contract(self.request)

    def preview(self, form):
        failed = provisioning_counts(contract=self.subject)[ProvisioningState.FAILED]
        lines = [
            f"{failed:,} failed seat{'s' if failed != 1 else ''} of {self.subject.name} "
            f"({self.subject.number}) will be pushed to the vendor again, each as its status "
            "stands now.",
            "Seats the vendor refuses again come back here with its new message.",
        ]
        return {"lines": lines}

    def perform(self, form) -> str:
        count = provisioning_retry_failed(contract=self.subject, actor=self.request.user)
        self.success(f"{count:,} failed seat{'s' if count != 1 else ''} will be pushed again.")
        return reverse("web:vendor-queue") + f"?contract={self.subject.pk}"

    def cancel_url(self) -> str:
        return reverse("web:vendor-queue") + f"?contract={self.subject.pk}"


class ReconciliationPage(PageMixin, TemplateView):
    """The contract's latest reconciliation: the vendor's users against the seats, the monthly
    cost of the shadow members, and the earlier runs."""

    template_name = "vendor/reconciliation.html"
    roles = RECONCILIATION
    nav = "vendor"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = get_object_or_404(Contract, pk=self.kwargs["pk"])
        latest = reconciliation_latest(contract)
        report = latest.report if latest else None
        context.update(
            {
                "contract": contract,
                "connection": contract_connection(contract.pk),
                "latest": latest,
                "report": report,
                "lists": _lists(report) if report else [],
                "recent": reconciliations_recent(contract),
                "active_seats_now": Seat.objects.filter(
                    contract=contract, status=SeatStatus.ACTIVE
                ).count(),
                "perms_queue": has_any_role(self.request.user, MANAGE),
            }
        )
        return context


def _lists(report: dict) -> list[dict]:
    return [
        {
            "key": "in_vendor_not_active",
            "title": "In the vendor, no active seat (shadow members)",
            "why": "Billed by the vendor, never counted by Seatplan.",
            "entries": report["in_vendor_not_active"],
        },
        {
            "key": "active_not_in_vendor",
            "title": "Active seat, not in the vendor",
            "why": "Paid for, but the person cannot sign in.",
            "entries": report["active_not_in_vendor"],
        },
        {
            "key": "mismatched",
            "title": "Active in one, not the other",
            "why": "On both sides, in different states.",
            "entries": report["mismatched"],
        },
    ]


class ReconcileNowPage(ActionPage):
    """Ask the workers to read the vendor's members and reconcile now."""

    roles = RECONCILIATION
    form_class = _NoFields
    title = "Reconcile with the vendor now"
    submit_label = "Preview"
    confirm_label = "Reconcile now"
    nav = "vendor"

    def get_subject(self):
        return get_object_or_404(Contract, pk=self.kwargs["pk"])

    def preview(self, form):
        active = Seat.objects.filter(contract=self.subject, status=SeatStatus.ACTIVE).count()
        return {
            "lines": [
                f"Seatplan reads the vendor's member list now and compares it with the "
                f"{active:,} active seats of {self.subject.name} ({self.subject.number}).",
                "The report replaces this page's; if anything drifted, the people subscribed "
                "to vendor drift are told.",
            ]
        }

    def perform(self, form) -> str:
        reconciliation_request(contract=self.subject, actor=self.request.user)
        self.success("Reconciliation asked for: the page shows it once the vendor has been read.")
        return reverse("web:vendor-reconciliation", kwargs={"pk": self.subject.pk})

    def cancel_url(self) -> str:
        return reverse("web:vendor-reconciliation", kwargs={"pk": self.subject.pk})
