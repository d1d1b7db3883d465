"""Idle-seat reclamation from the browser: the report (what a dry run would do, read without
recording anything), a choice of every seat listed or some, a confirmation with the seats and
the monthly charge before and after, then the reclamation job."""

from __future__ import annotations

from agencies.models import Agency
from agencies.views import page_contract
from config.api.permissions import MANAGE
from config.console import ActionPage
from licensing.charts import full_money
from licensing.models import Contract

from ..services import seats_reclaim_enqueue, seats_reclaimable
from ..services.reclaim import Reclamation, idle_reason
from . import effects
from .forms import ReclaimForm
from .jobs import job_url


class ReclaimPage(ActionPage):
    """The idle-seat report of the page's contract as of today: the active seats unused for the
    contract's `idle_days` (outside the onboarding grace, not on leave), to be suspended, and
    the open seats of people who have left, to be revoked; narrowed to one agency with
    `?agency=CODE`. The manager reclaims every seat listed or those ticked."""

    roles = MANAGE
    nav = "reclaim"
    form_class = ReclaimForm
    template_name = "rollout/reclaim.html"
    confirm_template_name = "rollout/console_confirm.html"
    title = "Reclaim idle seats"
    submit_label = "Continue"

    def get_subject(self) -> Contract:
        contract = page_contract(self.request)
        report = seats_reclaimable(contract=contract)
        code = self.request.GET.get("agency", "").strip()
        self.agency_code = code if code in {c.agency for c in _all(report)} else ""
        self.report = report
        self.listed = [c for c in _all(report) if not code or c.agency == self.agency_code]
        return contract

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["candidates"] = [c.seat_id for c in self.listed]
        return kwargs

    def cancel_url(self) -> str:
        return self.request.get_full_path().split("#")[0]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.report
        codes = sorted({c.agency for c in _all(report)})
        names = dict(Agency.objects.filter(code__in=codes).values_list("code", "name"))
        context.update(
            contract=self.subject,
            report=report,
            listed=self.listed,
            agencies=[(code, names.get(code, "")) for code in codes],
            agency_code=self.agency_code,
            saving_text=effects.saving_words(report.monthly_saving),
            chosen=set(_chosen_ids(kwargs.get("form"))),
        )
        return context

    def preview(self, form):
        chosen = form.chosen()
        result = seats_reclaimable(contract=self.subject, seat_ids=chosen)
        n = len(result.suspended) + len(result.revoked)
        self.confirm_label = f"Reclaim {n:,} seat{'s' if n != 1 else ''}"
        lines = [
            f"{len(result.suspended):,} idle seat{'s' if len(result.suspended) != 1 else ''} "
            f"suspended (“{idle_reason(self.subject)}”): each stays its holder's and can be "
            "reactivated.",
            f"{len(result.revoked):,} seat{'s' if len(result.revoked) != 1 else ''} of people "
            "who have left revoked (“Employee separated”).",
            f"Active seats under the contract: {result.active_before:,} → {result.active_after:,}.",
            f"A month's charge for the active seats: {full_money(result.charge_before)} → "
            f"{full_money(result.charge_after)} ({_saving_words(result)}).",
            "Each seat is checked again when the job takes it: one used since this report is "
            "left alone.",
        ]
        warning = ""
        if result.monthly_saving < 0:
            warning = (
                "Under this contract's volume pricing fewer seats cost more: reclaiming these "
                f"raises the monthly charge by {full_money(-result.monthly_saving)}."
            )
        return {"lines": lines, "warning": warning, "table": _seat_table(result)}

    def perform(self, form) -> str:
        job = seats_reclaim_enqueue(
            contract=self.subject, actor=self.request.user, seat_ids=form.chosen()
        )
        self.success(f"The reclamation runs as job #{job.pk}.")
        return job_url(job)


def _all(report: Reclamation):
    return [*report.suspended, *report.revoked]


def _chosen_ids(form) -> list[int]:
    if form is None or not form.is_bound:
        return []
    return [int(v) for v in form.data.getlist("seats") if str(v).isdigit()]


def _saving_words(result: Reclamation) -> str:
    text = effects.saving_words(result.monthly_saving)
    if result.monthly_saving == 0:
        return f"{text}: the contract's minimum or its tier keeps the charge"
    return text


SHOWN = 50


def _seat_table(result: Reclamation) -> dict:
    rows = [
        [c.employee_number, c.agency, c.from_status, c.to_status, c.reason]
        for c in [*result.suspended, *result.revoked][:SHOWN]
    ]
    return {
        "label": "Seats to reclaim (table)",
        "stack": True,
        "head": ["Employee", "Agency", "Seat now", "Becomes", "Reason"],
        "rows": rows,
    }
