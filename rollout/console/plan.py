"""The plan from the browser: a new wave, its name and window, and its cohorts (agency, seat
quota, onboarding day) while it is planned. Each page is an `ActionPage` calling one plan
service (`rollout.services.plan`), which records who, when and why and asks for the cost
recompute; the page then says how the projected total moved (before and after, from the cost
engine)."""

from __future__ import annotations

from django.urls import reverse

from agencies.models import Agency
from agencies.views import page_contract
from config.api.permissions import MANAGE
from config.console import ActionPage
from licensing.charts import day_label, full_money

from ..models import Cohort, Wave
from ..services import cohort_add, cohort_remove, cohort_update, wave_create, wave_update
from . import effects
from .forms import CohortAddForm, CohortChangeForm, PlanReasonForm, WaveForm
from .lookups import cohort_for, wave_for


def _wave_url(wave: Wave, anchor: str = "") -> str:
    return reverse("web:wave", kwargs={"pk": wave.pk}) + (f"#{anchor}" if anchor else "")


class _PlanPage(ActionPage):
    roles = MANAGE
    nav = "timeline"
    template_name = "rollout/console_action.html"
    confirm_template_name = "rollout/console_confirm.html"

    def projection_moved(self, before: effects.Money, contract) -> str:
        """The projected total before and after the change, in words."""
        after = effects.contract_money(contract)
        if after.projected_total == before.projected_total:
            return f"Projected total for the term unchanged at {full_money(after.projected_total)}."
        return (
            f"Projected total for the term: {full_money(before.projected_total)} → "
            f"{full_money(after.projected_total)}."
        )


class WaveCreate(_PlanPage):
    """Plan a new wave under the page's contract: a name, a planned window, a reason."""

    form_class = WaveForm
    title = "Plan a new wave"
    submit_label = "Plan the wave"
    intro = (
        "The wave is numbered after the contract's last one and starts planned. Add its "
        "agencies next; nothing is activated until it is approved and started."
    )

    def get_subject(self):
        return page_contract(self.request)

    def cancel_url(self) -> str:
        return reverse("web:timeline")

    def perform(self, form) -> str:
        data = form.cleaned_data
        wave = wave_create(
            contract=self.subject,
            name=data["name"],
            planned_start=data["planned_start"],
            planned_end=data["planned_end"],
            actor=self.request.user,
            reason=data["reason"],
        )
        self.success(f"Wave {wave.number} is planned. Add the agencies it onboards.")
        return _wave_url(wave)


class WaveUpdate(_PlanPage):
    """Rename a planned wave or move its window; its cohorts keep their onboarding days."""

    form_class = WaveForm
    submit_label = "Save the wave"

    def get_subject(self) -> Wave:
        wave = wave_for(self.request, self.kwargs["pk"])
        self.title = f"Change wave {wave.number}"
        self.intro = (
            "The window must hold every cohort's onboarding day; move a cohort's day from its "
            "row on the wave page."
        )
        return wave

    def get_initial(self):
        wave = self.subject
        return {
            "name": wave.name,
            "planned_start": wave.planned_start,
            "planned_end": wave.planned_end,
        }

    def cancel_url(self) -> str:
        return _wave_url(self.subject)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(wave=self.subject, back_url=_wave_url(self.subject))
        return context

    def perform(self, form) -> str:
        data = form.cleaned_data
        wave = wave_update(
            wave=self.subject,
            actor=self.request.user,
            reason=data["reason"],
            name=data["name"],
            planned_start=data["planned_start"],
            planned_end=data["planned_end"],
        )
        self.success(f"Wave {wave.number} is saved.")
        return _wave_url(wave)


class CohortAdd(_PlanPage):
    """Schedule an agency in a planned wave."""

    form_class = CohortAddForm
    submit_label = "Add the agency"

    def get_subject(self) -> Wave:
        wave = wave_for(self.request, self.kwargs["pk"])
        self.title = f"Add an agency to wave {wave.number}"
        self.intro = (
            f"Its onboarding day must fall in the wave's window ({day_label(wave.planned_start)}"
            f" – {day_label(wave.planned_end)}); its unfilled quota counts as planned seats from "
            "that day in the cost projection."
        )
        return wave

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["agencies"] = (
            Agency.objects.filter(is_active=True)
            .exclude(cohorts__wave=self.subject)
            .order_by("code")
        )
        return kwargs

    def get_initial(self):
        return {"onboarding_date": self.subject.planned_start}

    def cancel_url(self) -> str:
        return _wave_url(self.subject)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(wave=self.subject, back_url=_wave_url(self.subject))
        return context

    def perform(self, form) -> str:
        data = form.cleaned_data
        before = effects.contract_money(self.subject.contract)
        cohort = cohort_add(
            wave=self.subject,
            agency=data["agency"],
            seat_quota=data["seat_quota"],
            onboarding_date=data["onboarding_date"],
            actor=self.request.user,
            reason=data["reason"],
        )
        self.success(
            f"{cohort.agency.code} is in wave {self.subject.number}: quota "
            f"{cohort.seat_quota:,}, onboarding {day_label(cohort.onboarding_date)}. "
            + self.projection_moved(before, self.subject.contract)
        )
        return _wave_url(self.subject)


class _CohortPlanPage(_PlanPage):
    def get_subject(self) -> Cohort:
        return cohort_for(self.request, self.kwargs["pk"])

    def cancel_url(self) -> str:
        return _wave_url(self.subject.wave, "cohorts")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            cohort=self.subject,
            wave=self.subject.wave,
            back_url=reverse("web:cohort", kwargs={"pk": self.subject.pk}),
        )
        return context


class CohortChange(_CohortPlanPage):
    """Change a cohort's seat quota or onboarding day while its wave is planned."""

    form_class = CohortChangeForm
    submit_label = "Save the cohort"

    def get_subject(self) -> Cohort:
        cohort = super().get_subject()
        wave = cohort.wave
        self.title = f"Change {cohort.agency.code} in wave {wave.number}"
        self.intro = (
            f"Onboarding inside the wave's window ({day_label(wave.planned_start)} – "
            f"{day_label(wave.planned_end)}); the quota at most the agency's headcount "
            f"({cohort.agency.headcount:,})."
        )
        return cohort

    def get_initial(self):
        cohort = self.subject
        return {"seat_quota": cohort.seat_quota, "onboarding_date": cohort.onboarding_date}

    def perform(self, form) -> str:
        cohort, data = self.subject, form.cleaned_data
        before = effects.contract_money(cohort.wave.contract)
        quota = data["seat_quota"] if data["seat_quota"] != cohort.seat_quota else None
        day = data["onboarding_date"] if data["onboarding_date"] != cohort.onboarding_date else None
        cohort = cohort_update(
            cohort=cohort,
            actor=self.request.user,
            reason=data["reason"],
            seat_quota=quota,
            onboarding_date=day,
        )
        self.success(
            f"{cohort.agency.code} in wave {cohort.wave.number}: quota {cohort.seat_quota:,}, "
            f"onboarding {day_label(cohort.onboarding_date)}. "
            + self.projection_moved(before, cohort.wave.contract)
        )
        return _wave_url(cohort.wave)


class CohortRemove(_CohortPlanPage):
    """Take an agency out of a planned wave (its gate sign-offs go with it)."""

    form_class = PlanReasonForm
    submit_label = "Continue"

    def get_subject(self) -> Cohort:
        cohort = super().get_subject()
        self.title = f"Remove {cohort.agency.code} from wave {cohort.wave.number}"
        self.confirm_label = f"Remove {cohort.agency.code}"
        return cohort

    def preview(self, form):
        cohort = self.subject
        return {
            "lines": [
                f"{cohort.agency.code} leaves wave {cohort.wave.number}; its quota of "
                f"{cohort.seat_quota:,} seats stops counting in the projection.",
                "Its readiness sign-offs go with it; the wave's history keeps the cohort as it "
                "was, with your name and reason.",
            ]
        }

    def perform(self, form) -> str:
        cohort = self.subject
        wave, contract, code = cohort.wave, cohort.wave.contract, cohort.agency.code
        before = effects.contract_money(contract)
        cohort_remove(cohort=cohort, actor=self.request.user, reason=form.cleaned_data["reason"])
        self.success(
            f"{code} is out of wave {wave.number}. " + self.projection_moved(before, contract)
        )
        return _wave_url(wave)
