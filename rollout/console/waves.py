"""The wave page (its cohorts, their gates, what blocks the next step, the money, the history)
and the wave's lifecycle actions (approve, start, pause, resume, complete, cancel), each an
`ActionPage` calling the service the API calls."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.views.generic import TemplateView

from agencies.views import PageMixin
from config.api.permissions import MANAGE, READ, READ_FIGURES, agency_scope, has_any_role
from config.console import ActionPage
from core.models import Job
from licensing.charts import day_label, full_money

from ..choices import WaveStatus
from ..gates import LABELS as GATE
from ..gates import cohort_gates, failing_gates
from ..models import Cohort, Wave
from ..selectors import wave_readiness
from ..services import (
    wave_approve,
    wave_cancel,
    wave_complete,
    wave_pause,
    wave_resume,
    wave_start,
)
from ..services.waves import ACTIONS, GATED_ACTIONS
from . import effects
from .forms import WaveActionForm
from .lookups import scoped_cohorts, wave_for

SERVICES = {
    "approve": wave_approve,
    "start": wave_start,
    "pause": wave_pause,
    "resume": wave_resume,
    "complete": wave_complete,
    "cancel": wave_cancel,
}
LABELS = {
    "approve": "Approve",
    "start": "Start",
    "pause": "Pause",
    "resume": "Resume",
    "complete": "Complete",
    "cancel": "Cancel",
}
# The gated action a wave in this state waits for: the page says what blocks it.
NEXT_GATED = {
    WaveStatus.PLANNED: "approve",
    WaveStatus.APPROVED: "start",
    WaveStatus.PAUSED: "resume",
}


def plan_changes(wave: Wave, limit: int = 30) -> list[dict]:
    """The wave's and its cohorts' recorded plan changes, newest first: who, when, why, and the
    state they left (the django-simple-history rows the plan services write). A wave's status
    changes are in its own history (`WaveEvent`) and left out here."""
    rows = []
    previous = None
    for row in wave.history.select_related("history_user").order_by("history_date", "history_id"):
        plan = (row.name, row.planned_start, row.planned_end)
        if previous is None or plan != previous:
            verb = "planned" if previous is None else "changed"
            rows.append(
                {
                    "at": row.history_date,
                    "who": row.history_user,
                    "why": row.history_change_reason,
                    "what": f"Wave {verb}: “{row.name}”, {day_label(row.planned_start)} – "
                    f"{day_label(row.planned_end)}",
                }
            )
        previous = plan
    verbs = {"+": "added", "~": "changed", "-": "removed"}
    cohorts = (
        Cohort.history.filter(wave_id=wave.pk)
        .select_related("history_user", "agency")
        .order_by("-history_date")[:limit]
    )
    for row in cohorts:
        code = row.agency.code if row.agency else "An agency"
        rows.append(
            {
                "at": row.history_date,
                "who": row.history_user,
                "why": row.history_change_reason,
                "what": f"{code} {verbs.get(row.history_type, 'changed')}: quota "
                f"{row.seat_quota:,}, onboarding {day_label(row.onboarding_date)}",
            }
        )
    return sorted(rows, key=lambda r: r["at"], reverse=True)[:limit]


def wave_url(wave: Wave) -> str:
    return reverse("web:wave", kwargs={"pk": wave.pk})


def available_actions(wave: Wave) -> list[dict]:
    """The lifecycle actions the wave's state allows (the services' own table), as links."""
    return [
        {
            "name": name,
            "label": LABELS[name],
            "url": reverse("web:wave-action", kwargs={"pk": wave.pk, "action": name}),
            "gated": name in GATED_ACTIONS,
            "danger": name == "cancel",
        }
        for name, (froms, _to, _done) in ACTIONS.items()
        if wave.status in froms
    ]


class WavePage(PageMixin, TemplateView):
    """One wave: its cohorts with their gates, seats and latest job; what blocks its approval,
    start or resumption (the failing gates, each linked to its cohort); the actions its state
    allows (rollout managers); its money (roles that read figures); and its recorded history.
    A coordinator sees the waves holding their agencies, and only their own cohorts."""

    template_name = "rollout/wave.html"
    nav = "timeline"
    roles = READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        wave = wave_for(request, kwargs["pk"])
        scope = agency_scope(request)
        latest_job = Job.objects.filter(cohort=OuterRef("pk")).order_by("-created_at", "-id")
        cohorts = list(
            scoped_cohorts(request)
            .filter(wave=wave)
            .annotate(latest_job_id=Subquery(latest_job.values("id")[:1]))
            .order_by("onboarding_date", "agency__code")
        )
        shown = {c.pk for c in cohorts}
        readiness = [r for r in wave_readiness(wave) if r.cohort_id in shown]
        by_cohort = {r.cohort_id: r for r in readiness}
        active = effects.cohort_active_seats([c.pk for c in cohorts])
        jobs = Job.objects.in_bulk([c.latest_job_id for c in cohorts if c.latest_job_id])
        rows = []
        for cohort in cohorts:
            found = by_cohort.get(cohort.pk)
            gates = cohort_gates(found) if found else []
            rows.append(
                {
                    "cohort": cohort,
                    "gates": gates,
                    "failing": [g for g in gates if not g.is_met],
                    "readiness": found,
                    "active": active.get(cohort.pk, 0),
                    "job": jobs.get(cohort.latest_job_id),
                }
            )
        waiting_for = NEXT_GATED.get(wave.status)
        blockers = [
            {"cohort_id": f.cohort_id, "agency": f.agency, "gate": GATE[f.gate], "figure": f.figure}
            for f in (failing_gates(readiness) if waiting_for else [])
        ]
        can_manage = has_any_role(request.user, MANAGE)
        # The plan services accept changes only while the wave is planned: the links show then.
        planning = can_manage and wave.status == WaveStatus.PLANNED
        context.update(
            planning=planning,
            plan_changes=plan_changes(wave) if can_manage or scope.is_all else [],
            wave=wave,
            contract=wave.contract,
            rows=rows,
            waiting_for=waiting_for,
            waiting_label=ACTIONS[waiting_for][2] if waiting_for else "",
            blockers=blockers,
            actions=available_actions(wave) if can_manage else [],
            can_manage=can_manage,
            running=wave.status == WaveStatus.IN_PROGRESS,
            history=list(wave.events.select_related("actor").order_by("-at", "-id")),
            scope_all=scope.is_all,
        )
        if has_any_role(request.user, READ_FIGURES):
            seats = effects.wave_seats(wave)
            with_it, without_it = effects.wave_without_it(wave)
            context.update(
                seats=seats,
                money=with_it,
                money_without=without_it,
                wave_adds=with_it.projected_total - without_it.projected_total,
                headroom_if_filled=effects.Effect(with_it, with_it).headroom_after_activating(
                    seats.unfilled
                ),
            )
        return context


class WaveActionPage(ActionPage):
    """A wave lifecycle action: a written reason, then a confirmation saying what will happen to
    the cohorts, the seats and the money (before and after, from the cost engine), then the
    service. When the service would refuse as things stand (the state does not allow the
    action, a gate fails) there is nothing to confirm: it is called at once and its refusal is
    shown."""

    roles = MANAGE
    nav = "timeline"
    form_class = WaveActionForm
    template_name = "rollout/console_action.html"
    confirm_template_name = "rollout/console_confirm.html"
    submit_label = "Continue"

    def get_subject(self) -> Wave:
        wave = wave_for(self.request, self.kwargs["pk"])
        self.action = self.kwargs["action"]
        label = LABELS[self.action]
        self.title = f"{label} wave {wave.number}"
        self.confirm_label = f"{label} wave {wave.number}"
        self.intro = INTROS[self.action]
        return wave

    def cancel_url(self) -> str:
        return wave_url(self.subject)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(wave=self.subject, back_url=wave_url(self.subject))
        return context

    def preview(self, form):
        wave, action = self.subject, self.action
        froms, _to, _done = ACTIONS[action]
        if wave.status not in froms:
            return None
        if action in GATED_ACTIONS and failing_gates(wave_readiness(wave)):
            return None
        seats = effects.wave_seats(wave)
        effect = effects.wave_action_effect(wave, action)
        lines = [what_happens(wave, action, seats)]
        if action in ("start", "resume"):
            lines.append(headroom_line(effect, seats))
        lines.append(f"Your reason is recorded with the change: “{form.cleaned_data['reason']}”.")
        return {
            "lines": lines,
            "warning": WARNINGS.get(action, ""),
            "table": money_table(effect),
        }

    def perform(self, form) -> str:
        wave = SERVICES[self.action](
            wave=self.subject, actor=self.request.user, reason=form.cleaned_data["reason"]
        )
        self.success(f"Wave {wave.number} {ACTIONS[self.action][2]}.")
        return wave_url(wave)


INTROS = {
    "approve": "Approving records that you checked every readiness gate of every cohort. "
    "The wave can then be started.",
    "start": "Starting opens the wave's cohorts to seat activations. Every gate is checked again.",
    "pause": "Pausing stops activations for the wave's cohorts; seats already active stay active.",
    "resume": "Resuming opens activations again. Every gate is checked again, as for a start.",
    "complete": "Completing closes the wave: its cohorts are onboarded and their unfilled quota "
    "leaves the projection.",
    "cancel": "Cancelling drops the wave and its cohorts from the plan. It cannot be undone: "
    "a new wave is planned instead.",
}
WARNINGS = {
    "cancel": "Cancelling cannot be undone.",
    "complete": "Completing cannot be undone.",
}


def what_happens(wave: Wave, action: str, seats: effects.WaveSeats) -> str:
    n = seats.cohorts
    cohorts = f"{n} cohort{'s' if n != 1 else ''}"
    active = f"{seats.active:,} active seat{'s' if seats.active != 1 else ''}"
    unfilled = f"{seats.unfilled:,} seat{'s' if seats.unfilled != 1 else ''}"
    return {
        "approve": f"Wave {wave.number} becomes approved, under your name; its {cohorts} become "
        "ready. No seat is activated: activations open when the wave is started.",
        "start": f"Wave {wave.number} becomes in progress; its {cohorts} become onboarding, and "
        f"their people can be activated from each cohort's page: {unfilled} of the quota are "
        "still unfilled.",
        "pause": f"Wave {wave.number} is paused: no seat of its {cohorts} can be activated until "
        f"it is resumed. Its {active} stay active and keep being billed.",
        "resume": f"Wave {wave.number} is in progress again: its {cohorts} can be activated "
        f"({unfilled} of the quota unfilled).",
        "complete": f"Wave {wave.number} is completed; its {cohorts} become onboarded. Their "
        f"{active} stay active; the {unfilled} still unfilled stop counting in the projection.",
        "cancel": f"Wave {wave.number} is cancelled with its {cohorts}; the {unfilled} of quota "
        f"still unfilled leave the projection. Its {active} stay active: taking access away is "
        "a per-seat decision (reclamation or a revocation).",
    }[action]


def headroom_line(effect: effects.Effect, seats: effects.WaveSeats) -> str:
    after = effect.headroom_after_activating(seats.unfilled)
    if after is None:
        return "No number of seats reaches the ceiling: the whole quota fits."
    if after >= 0:
        return (
            f"If all {seats.unfilled:,} unfilled seats were activated today, {after:,} more "
            "would still fit under the ceiling."
        )
    return (
        f"Only {effect.before.headroom_seats:,} of the {seats.unfilled:,} unfilled seats fit "
        f"under the ceiling today: the activation job blocks the other {-after:,} "
        "(ceiling reached)."
    )


def _seats(value: int | None) -> str:
    return "no limit" if value is None else f"{value:,}"


def _dollars(value) -> str:
    return "—" if value is None else full_money(value)


def money_table(effect: effects.Effect) -> dict:
    """Before and after, as the confirmation's table."""
    before, after = effect.before, effect.after
    return {
        "label": "Seats and money, now and after (table)",
        "numeric": True,
        "head": ["Figure", "Now", "After"],
        "rows": [
            ["Active seats", f"{before.active_seats:,}", f"{after.active_seats:,}"],
            [
                "A month's charge for them",
                _dollars(before.monthly_charge),
                _dollars(after.monthly_charge),
            ],
            [
                "Projected total for the term",
                _dollars(before.projected_total),
                _dollars(after.projected_total),
            ],
            [
                "Left under the ceiling, plan included",
                _dollars(before.room_under_ceiling),
                _dollars(after.room_under_ceiling),
            ],
            [
                "Headroom: seats that can still be activated",
                _seats(before.headroom_seats),
                _seats(after.headroom_seats),
            ],
        ],
    }
