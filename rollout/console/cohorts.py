"""The cohort page (its gates with their evidence, its seats, its jobs) and the cohort's actions:
sign off or reopen a gate, and activate its people (a dry run first, then the job)."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.views.generic import TemplateView

from agencies.views import PageMixin
from config.api.permissions import MANAGE, READ, has_any_role, personal_scope
from config.console import ActionPage
from core.choices import JobKind
from core.models import Job

from ..choices import SIGNED_GATES, WaveStatus
from ..gates import LABELS, TRAINING, cohort_gates
from ..models import Cohort, ReadinessCheck
from ..selectors import wave_readiness
from ..services import (
    cohort_activate,
    cohort_activation_enqueue,
    readiness_reopen,
    readiness_sign_off,
)
from . import effects
from .forms import ActivateForm, ReopenForm, SignOffForm
from .jobs import blocked_groups, job_url
from .lookups import cohort_for

RECENT_JOBS = 10


def cohort_url(cohort: Cohort, anchor: str = "") -> str:
    return reverse("web:cohort", kwargs={"pk": cohort.pk}) + (f"#{anchor}" if anchor else "")


def cohort_readiness(cohort: Cohort):
    """The figures the cohort's gates are judged from (None for a cancelled cohort)."""
    return next((r for r in wave_readiness(cohort.wave) if r.cohort_id == cohort.pk), None)


class CohortPage(PageMixin, TemplateView):
    """One cohort: every gate with the figure that decides it, its evidence and who signed it
    (sign off, sign again or reopen: rollout managers); the live training share against the
    contract's threshold; its quota and active seats; a preview of its activation; its recent
    jobs. A coordinator opens their own agencies' cohorts; any other answers 404."""

    template_name = "rollout/cohort.html"
    nav = "timeline"
    roles = READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        cohort = cohort_for(request, kwargs["pk"])
        readiness = cohort_readiness(cohort)
        gates = cohort_gates(readiness) if readiness else []
        checks = {
            c.kind: c
            for c in ReadinessCheck.objects.filter(cohort=cohort).select_related("signed_off_by")
        }
        can_manage = has_any_role(request.user, MANAGE)
        wave_open = cohort.wave.status not in (WaveStatus.COMPLETED, WaveStatus.CANCELLED)
        rows = []
        for gate in gates:
            check = checks.get(gate.kind)
            signed = gate.kind in SIGNED_GATES
            rows.append(
                {
                    "gate": gate,
                    "check": check,
                    "signed": signed,
                    "sign_url": reverse(
                        "web:gate-sign-off", kwargs={"pk": cohort.pk, "kind": gate.kind}
                    )
                    if signed and can_manage and wave_open
                    else "",
                    "reopen_url": reverse(
                        "web:gate-reopen", kwargs={"pk": cohort.pk, "kind": gate.kind}
                    )
                    if signed and can_manage and wave_open and gate.is_met
                    else "",
                }
            )
        active = effects.cohort_active_seats([cohort.pk]).get(cohort.pk, 0)
        jobs = list(
            Job.objects.filter(cohort=cohort, kind=JobKind.COHORT_ACTIVATION)
            .select_related("requested_by")
            .order_by("-created_at", "-id")[:RECENT_JOBS]
        )
        context.update(
            cohort=cohort,
            wave=cohort.wave,
            contract=cohort.wave.contract,
            rows=rows,
            failing=[g for g in gates if not g.is_met],
            readiness=readiness,
            training_note=checks.get(TRAINING),
            active=active,
            room=max(0, cohort.seat_quota - active),
            jobs=jobs,
            can_manage=can_manage,
            # The plan services change a cohort only while its wave is planned.
            planning=can_manage and cohort.wave.status == WaveStatus.PLANNED,
            wave_running=cohort.wave.status == WaveStatus.IN_PROGRESS,
            activate_url=reverse("web:cohort-activate", kwargs={"pk": cohort.pk}),
            personal=personal_scope(request).allows(cohort.agency_id),
        )
        return context


class _GateAction(ActionPage):
    roles = MANAGE
    nav = "timeline"
    template_name = "rollout/console_action.html"
    confirm_template_name = "rollout/console_confirm.html"

    def get_subject(self) -> Cohort:
        cohort = cohort_for(self.request, self.kwargs["pk"])
        self.kind = self.kwargs["kind"]
        if self.kind not in SIGNED_GATES:
            raise Http404("Only privacy, security, union notice and help desk are signed off.")
        self.gate = LABELS[self.kind]
        return cohort

    def cancel_url(self) -> str:
        return cohort_url(self.subject, "gates")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            cohort=self.subject, wave=self.subject.wave, back_url=cohort_url(self.subject)
        )
        return context


class GateSignOff(_GateAction):
    """Sign off (or sign again) one gate of a cohort, with the evidence it rests on."""

    form_class = SignOffForm
    submit_label = "Sign off"

    def get_subject(self) -> Cohort:
        cohort = super().get_subject()
        self.title = f"Sign off the {self.gate} of {cohort.agency.code}"
        self.intro = (
            f"You vouch that the {self.gate} of {cohort.agency.code} in wave "
            f"{cohort.wave.number} is done. Approving and starting the wave need every gate "
            "of every cohort met."
        )
        return cohort

    def perform(self, form) -> str:
        readiness_sign_off(
            cohort=self.subject,
            kind=self.kind,
            actor=self.request.user,
            evidence=form.cleaned_data["evidence"],
        )
        self.success(f"The {self.gate} of {self.subject.agency.code} is signed off.")
        return cohort_url(self.subject, "gates")


class GateReopen(_GateAction):
    """Withdraw a sign-off: the gate fails again until someone signs it anew."""

    form_class = ReopenForm
    submit_label = "Continue"

    def get_subject(self) -> Cohort:
        cohort = super().get_subject()
        self.title = f"Reopen the {self.gate} of {cohort.agency.code}"
        self.confirm_label = f"Reopen the {self.gate}"
        return cohort

    def preview(self, form):
        cohort = self.subject
        signed = ReadinessCheck.objects.filter(cohort=cohort, kind=self.kind, is_met=True)
        if not signed.exists():
            return None  # nothing to confirm: the service says there is nothing to reopen
        wave = cohort.wave
        lines = [
            f"The {self.gate} of {cohort.agency.code} fails again until someone signs it off "
            "anew; your reason is added to its evidence.",
            {
                WaveStatus.PLANNED: f"Wave {wave.number} cannot be approved while it fails.",
                WaveStatus.APPROVED: f"Wave {wave.number} cannot be started while it fails.",
                WaveStatus.PAUSED: f"Wave {wave.number} cannot be resumed while it fails.",
                WaveStatus.IN_PROGRESS: f"Wave {wave.number} keeps running: reopening a gate "
                "does not pause it. Pause the wave from its page if activations must stop.",
            }.get(wave.status, ""),
        ]
        return {"lines": [line for line in lines if line]}

    def perform(self, form) -> str:
        readiness_reopen(
            cohort=self.subject,
            kind=self.kind,
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        self.success(f"The {self.gate} of {self.subject.agency.code} is reopened.")
        return cohort_url(self.subject, "gates")


class CohortActivate(ActionPage):
    """Activate a cohort's people. The preview is a real dry run of the activation service
    (recorded as a dry-run job): how many would be activated, who is blocked and why (names
    for those who may read them), and the seats and money after. "Activate N seats" queues the
    job and opens its page."""

    roles = MANAGE
    nav = "timeline"
    form_class = ActivateForm
    template_name = "rollout/activate.html"
    confirm_template_name = "rollout/activate_confirm.html"
    submit_label = "Preview the activation (dry run)"

    def get_subject(self) -> Cohort:
        cohort = cohort_for(self.request, self.kwargs["pk"])
        self.title = f"Activate {cohort.agency.code} in wave {cohort.wave.number}"
        return cohort

    def cancel_url(self) -> str:
        return cohort_url(self.subject)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.subject
        active = effects.cohort_active_seats([cohort.pk]).get(cohort.pk, 0)
        context.update(
            cohort=cohort,
            wave=cohort.wave,
            back_url=cohort_url(cohort),
            active=active,
            room=max(0, cohort.seat_quota - active),
            wave_running=cohort.wave.status == WaveStatus.IN_PROGRESS,
        )
        return context

    def preview(self, form):
        cohort = self.subject
        job = cohort_activate(cohort=cohort, actor=self.request.user, dry_run=True)
        outcome = job.outcome
        would = outcome.get("would_activate", 0)
        self.confirm_label = f"Activate {would:,} seat{'s' if would != 1 else ''}"
        personal = personal_scope(self.request).allows(cohort.agency_id)
        return {
            "job": job,
            "job_url": job_url(job),
            "csv_url": reverse("web:job-blocked-csv", kwargs={"pk": job.pk}),
            "would": would,
            "already_active": outcome.get("already_active", 0),
            "blocked": outcome.get("blocked", 0),
            "groups": blocked_groups(outcome.get("blocked_employees", []), personal=personal),
            "warnings": outcome.get("warnings", []),
            "can_activate": would > 0 and cohort.wave.status == WaveStatus.IN_PROGRESS,
            "effect": effects.activation_effect(cohort, would),
        }

    def perform(self, form) -> str:
        job = cohort_activation_enqueue(cohort=self.subject, actor=self.request.user)
        self.success(f"The activation of {self.subject.agency.code} runs as job #{job.pk}.")
        return job_url(job)
