"""Web pages of the rollout app: the timeline of waves and cohorts with their readiness gates,
and the console action that makes a person's private calendar link.

The gates are the rollout selectors' figures (`wave_readiness`) judged by the pure rules in
`rollout.gates`, the same the API's readiness endpoint and the wave services use, so a failing
gate reads the same here as in a refusal. A coordinator sees the waves that hold one of their
agencies, and in them only their own cohorts.
"""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from agencies.views import PageMixin, page_contract
from config.api.permissions import MANAGE, agency_scope, has_any_role
from config.console import ActionPage
from licensing import charts

from .calendar import calendar_url_query
from .choices import CohortStatus, WaveStatus
from .gates import cohort_gates
from .models import CalendarLink, Cohort, Wave
from .selectors import wave_last_change, wave_readiness, with_changes
from .services import calendar_link_rotate

# The session key that carries a new calendar link's token from the action to the timeline,
# which shows it once and forgets it.
NEW_CALENDAR_TOKEN = "rollout.new_calendar_token"

# Gates still decide something for a cohort not yet onboarding in a wave that is not over:
# they hold up the wave's approval, start or resumption, or the cohort's activation.
CLOSED_WAVES = frozenset({WaveStatus.COMPLETED, WaveStatus.CANCELLED})
UPCOMING_COHORTS = frozenset({CohortStatus.PLANNED, CohortStatus.READY})


def gates_pending(wave: Wave, cohort: Cohort) -> bool:
    return wave.status not in CLOSED_WAVES and cohort.status in UPCOMING_COHORTS


WAVE_LEGEND = [
    (WaveStatus.PLANNED, "Planned"),
    (WaveStatus.APPROVED, "Approved"),
    (WaveStatus.IN_PROGRESS, "In progress"),
    (WaveStatus.PAUSED, "Paused"),
    (WaveStatus.COMPLETED, "Completed"),
    (WaveStatus.CANCELLED, "Cancelled"),
]
COHORT_LEGEND = [
    (CohortStatus.PLANNED, "Planned"),
    (CohortStatus.READY, "Ready"),
    (CohortStatus.ONBOARDING, "Onboarding"),
    (CohortStatus.ONBOARDED, "Onboarded"),
    (CohortStatus.CANCELLED, "Cancelled"),
]


def _cohort_css(status: str) -> str:
    return f"c-{status}"


class TimelinePage(PageMixin, TemplateView):
    """Waves and cohorts on a time axis, coloured and labelled by status, with each cohort's
    gates and the failing ones named. Queries: a fixed few, plus two per wave for the gates."""

    template_name = "rollout/timeline.html"
    nav = "timeline"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = page_contract(self.request)
        scope = agency_scope(self.request)
        cohorts = scope.filter(Cohort.objects.select_related("agency")).order_by(
            "onboarding_date", "agency__code"
        )
        waves = Wave.objects.filter(contract=contract)
        if not scope.is_all:
            waves = waves.filter(Exists(scope.filter(Cohort.objects.filter(wave=OuterRef("pk")))))
        waves = list(
            with_changes(waves)
            .prefetch_related(Prefetch("cohorts", queryset=cohorts))
            .order_by("number")
        )

        today = timezone.localdate()
        plan, rows = [], []
        for wave in waves:
            readiness = {r.cohort_id: r for r in wave_readiness(wave)}
            items = []
            for cohort in wave.cohorts.all():
                found = readiness.get(cohort.pk)
                gates = cohort_gates(found) if found else []
                failing = [g for g in gates if not g.is_met]
                items.append(
                    {
                        "cohort": cohort,
                        "gates": gates,
                        "failing": failing,
                        "readiness": found,
                        "pending": gates_pending(wave, cohort),
                    }
                )
            pending = [i for i in items if i["pending"]]
            failing_total = sum(len(i["failing"]) for i in pending)
            plan.append(
                {
                    "wave": wave,
                    "last_change": wave_last_change(wave),
                    "cohorts": items,
                    "gated": bool(pending),
                    "failing_total": failing_total,
                }
            )
            wave_note = ""
            if failing_total:
                wave_note = f"{failing_total} gate{'s' if failing_total != 1 else ''} failing"
            elif pending:
                wave_note = "gates met"
            rows.append(
                charts.GanttRow(
                    label=f"Wave {wave.number}",
                    detail=wave.name,
                    start=wave.planned_start,
                    end=wave.planned_end,
                    status=wave.status,
                    status_label=wave.get_status_display(),
                    note=wave_note,
                    warn=bool(failing_total),
                )
            )
            for item in items:
                cohort = item["cohort"]
                note = ""
                if item["pending"]:
                    note = (
                        "failing: " + ", ".join(g.label for g in item["failing"])
                        if item["failing"]
                        else "gates met"
                    )
                rows.append(
                    charts.GanttRow(
                        label=cohort.agency.code,
                        start=cohort.onboarding_date,
                        end=max(wave.planned_end, cohort.onboarding_date),
                        status=_cohort_css(cohort.status),
                        status_label=cohort.get_status_display(),
                        level=1,
                        milestone=cohort.onboarding_date,
                        note=note,
                        warn=bool(item["failing"]) and item["pending"],
                    )
                )

        start = min([contract.start_date, *(w.planned_start for w in waves)])
        end = max(
            [
                contract.end_date,
                *(w.planned_end for w in waves),
                *(c["cohort"].onboarding_date for p in plan for c in p["cohorts"]),
            ]
        )
        description = (
            f"{len(waves)} waves from {charts.day_label(start)} to {charts.day_label(end)}. "
            "Each wave is a bar over its planned window; under it, each cohort runs from its "
            "onboarding day (diamond) to the end of the wave. The status is written beside "
            "every bar. The table below lists the same data."
        )
        svg = (
            charts.gantt(
                rows,
                start=start,
                end=end,
                today=today,
                title=f"Rollout timeline of {contract.name}",
                description=description,
            )
            if rows
            else ""
        )
        context.update(
            contract=contract,
            can_plan=has_any_role(self.request.user, MANAGE),
            plan=plan,
            chart=svg,
            chart_labels=charts.gantt_labels(rows) if rows else "",
            today_at=charts.gantt_position(today, start=start, end=end),
            wave_legend=[
                (charts.swatch(f"bar wave status-{key}"), label) for key, label in WAVE_LEGEND
            ],
            cohort_legend=[
                (
                    charts.swatch(f"milestone status-c-{key}", shape="diamond"),
                    label,
                )
                for key, label in COHORT_LEGEND
            ],
            today=today,
            span=(start, end),
            **self.calendar_context(),
        )
        return context

    def calendar_context(self) -> dict:
        """The caller's calendar link: the new one, once, right after it was made (the
        database keeps only its hash), else when the current one was made, if any."""
        token = self.request.session.pop(NEW_CALENDAR_TOKEN, None)
        link = CalendarLink.objects.filter(user=self.request.user).first()
        new_url = ""
        if token and link is not None:
            new_url = self.request.build_absolute_uri(
                f"{reverse('rollout:calendar')}?{calendar_url_query(token)}"
            )
        return {"calendar_link": link, "calendar_new_url": new_url}


class CalendarLinkPage(ActionPage):
    """Make a new private calendar link (POST from the timeline page). The old one, if any,
    stops working; the confirmation says so. The new link is shown once, on the timeline."""

    form_class = forms.Form
    title = "Make a new calendar link"
    submit_label = "Make a new link"
    confirm_label = "Make a new link"
    intro = (
        "A private link lets a calendar app read the onboarding calendar as you, without "
        "signing in. Seatplan keeps only a fingerprint of it, so it is shown once."
    )

    def preview(self, form) -> dict | None:
        if not CalendarLink.objects.filter(user=self.request.user).exists():
            return None
        return {
            "lines": [
                "Your current calendar link stops working at once.",
                "Calendar apps subscribed with it must be given the new link.",
            ]
        }

    def perform(self, form) -> str:
        token = calendar_link_rotate(user=self.request.user)
        self.request.session[NEW_CALENDAR_TOKEN] = token
        self.success("Your new calendar link is below. Copy it now: it is shown only once.")
        return reverse("web:timeline") + "#calendar-title"

    def cancel_url(self) -> str:
        return reverse("web:timeline") + "#calendar-title"
