"""Finance's console actions on billing lines: mark a line invoiced or paid (with a confirmation
that names the line and its amount), and undo a mistaken "paid" on the day it was marked (with a
written reason). Both call the billing services the API's `mark/` and `undo-paid/` call
(licensing/services/cost.py), and both are recorded as `BillingPeriodEvent` rows, which the
dashboard lists under each line.
"""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from config.api.permissions import BILLING
from config.console import ActionPage, ReasonField

from . import charts
from .choices import BillingLineStatus
from .models import BillingPeriod, BillingPeriodEvent
from .services.cost import billing_period_mark, billing_period_undo_paid


def line_words(line: BillingPeriod) -> str:
    return (
        f"the billing line of {charts.day_label(line.start)} – {charts.day_label(line.end)} "
        f"({charts.full_money(line.amount)}, {line.billable_persons:,} billable persons)"
    )


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def paid_mark_undoable(line: BillingPeriod, events: list[BillingPeriodEvent]) -> bool:
    """Whether the dashboard offers the undo: the line's latest mark made it paid, today. The
    service decides; this only avoids offering a button it would refuse."""
    if line.status != BillingLineStatus.PAID or not events:
        return False
    last = events[-1]
    return last.to_status == BillingLineStatus.PAID and timezone.localdate(
        last.at
    ) == timezone.localdate(timezone.now())


class BillingLinePage(ActionPage):
    """An action on one billing line of one contract, by finance."""

    roles = BILLING
    nav = "finance"

    def get_subject(self) -> BillingPeriod:
        return get_object_or_404(
            BillingPeriod.objects.select_related("contract", "status_changed_by"),
            pk=self.kwargs["line_id"],
            contract_id=self.kwargs["pk"],
        )

    def dashboard_url(self) -> str:
        return reverse("web:contract", kwargs={"pk": self.subject.contract_id}) + "#billing"

    def cancel_url(self) -> str:
        return self.dashboard_url()


class BillingMarkForm(forms.Form):
    status = forms.ChoiceField(
        label="Mark the line",
        choices=[
            (BillingLineStatus.INVOICED, "Invoiced"),
            (BillingLineStatus.PAID, "Paid"),
        ],
    )


class BillingLineMark(BillingLinePage):
    """Mark a line invoiced or paid (`billing_period_mark`); it only moves forward."""

    form_class = BillingMarkForm
    submit_label = "Review the mark"

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Mark the billing line of {charts.day_label(self.subject.start)}"

    @property
    def intro(self) -> str:  # type: ignore[override]
        line = self.subject
        return f"{sentence(line_words(line))} is {line.status}."

    def get_initial(self):
        following = {
            BillingLineStatus.ACCRUED: BillingLineStatus.INVOICED,
            BillingLineStatus.INVOICED: BillingLineStatus.PAID,
        }
        return {"status": following.get(self.subject.status, BillingLineStatus.PAID)}

    @property
    def confirm_label(self) -> str:  # type: ignore[override]
        status = self.request.POST.get("status", "")
        return f"Mark it {status}" if status in BillingLineStatus.values else "Confirm"

    def preview(self, form):
        status = form.cleaned_data["status"]
        lines = [f"{sentence(line_words(self.subject))} will be marked {status}."]
        if status == BillingLineStatus.PAID:
            lines.append(
                'A mistaken "paid" can be undone today only, with a written reason; after '
                "today the payment stands."
            )
        lines.append("Your name and the time are recorded with the mark.")
        return {"lines": lines}

    def perform(self, form) -> str:
        status = form.cleaned_data["status"]
        line = billing_period_mark(line=self.subject, status=status, actor=self.request.user)
        self.success(f"The billing line of {charts.day_label(line.start)} is now {line.status}.")
        return self.dashboard_url()


class BillingUndoForm(forms.Form):
    reason = ReasonField(help_text="Why the payment mark was a mistake; recorded with the undo.")


class BillingLineUndo(BillingLinePage):
    """Take back a mistaken "paid" the same day (`billing_period_undo_paid`)."""

    form_class = BillingUndoForm
    submit_label = "Review the undo"
    confirm_label = "Undo the payment mark"

    @property
    def title(self) -> str:  # type: ignore[override]
        return f'Undo "paid" on the billing line of {charts.day_label(self.subject.start)}'

    @property
    def intro(self) -> str:  # type: ignore[override]
        line = self.subject
        who = line.status_changed_by.get_username() if line.status_changed_by else "someone"
        when = (
            timezone.localtime(line.status_changed_at).strftime("%H:%M")
            if line.status_changed_at
            else ""
        )
        return f"{sentence(line_words(line))} is {line.status}" + (
            f", marked by {who} at {when} today." if line.status == "paid" and when else "."
        )

    def preview(self, form):
        line = self.subject
        before = line.events.order_by("-at", "-id").first()
        back_to = before.from_status if before is not None else "its earlier status"
        return {
            "lines": [
                f"The line goes back to {back_to}.",
                "The payment mark and this undo both stay on the line's record, with your "
                f"name, the time and your reason: “{form.cleaned_data['reason']}”.",
            ]
        }

    def perform(self, form) -> str:
        line = billing_period_undo_paid(
            line=self.subject, actor=self.request.user, reason=form.cleaned_data["reason"]
        )
        self.success(
            f"The payment mark of the billing line of {charts.day_label(line.start)} is undone: "
            f"it is {line.status} again."
        )
        return self.dashboard_url()
