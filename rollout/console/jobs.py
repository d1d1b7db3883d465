"""The job page of a cohort activation or a reclamation: progress while it runs (a small static
script asks for it every few seconds; without JavaScript, a link reloads the page), then the
outcome, with the blocked people downloadable as CSV."""

from __future__ import annotations

import csv
from decimal import Decimal

from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.generic import TemplateView, View

from agencies.views import PageMixin
from config.api.permissions import MANAGE, READ, has_any_role, personal_scope
from core.choices import JobKind, JobStatus
from core.jobs import job_percent, job_progress, job_running
from core.models import Job

from ..choices import WaveStatus
from . import effects
from .lookups import job_for

FIRST_NAMES = 5  # people named per reason on a page; the CSV lists everyone
REFRESH_SECONDS = 3

# Plain words for the codes the activation blocks people with (licensing.services.seats and
# rollout.services.activation), for readers who may not see the service's detail (it names
# the person).
REASONS = {
    "not_ready": "Training or policy acknowledgement missing",
    "held_for_bargaining": "Held for bargaining (a manager's override is needed)",
    "employee_inactive": "Not at work (on leave)",
    "seat_suspended": "Seat suspended (reactivated by hand only)",
    "quota_full": "The cohort's quota is used up",
    "ceiling_reached": "The contract's ceiling leaves no room",
    "invalid_transition": "The seat cannot be activated from its state",
}


def job_url(job: Job) -> str:
    return reverse("web:job", kwargs={"pk": job.pk})


def reason_label(code: str) -> str:
    return REASONS.get(code, code.replace("_", " ").capitalize())


def blocked_groups(people: list[dict], *, personal: bool, first: int = FIRST_NAMES) -> list[dict]:
    """The blocked people by reason, the most frequent first, each with the first few people
    (their names when the reader may see them, else their employee numbers)."""
    groups: dict[str, dict] = {}
    for person in people:
        code = person.get("code", "")
        group = groups.setdefault(
            code, {"code": code, "label": reason_label(code), "count": 0, "first": []}
        )
        group["count"] += 1
        if len(group["first"]) < first:
            number = person.get("employee_number", "")
            name = person.get("name", "")
            group["first"].append(f"{name} ({number})" if personal and name else number)
    for group in groups.values():
        group["more"] = group["count"] - len(group["first"])
    return sorted(groups.values(), key=lambda g: (-g["count"], g["code"]))


def blocked_people(job: Job) -> list[dict]:
    """Everyone the job blocked: the outcome's full list once the job has ended (a dry run's at
    every step), else the first ones kept in `errors`."""
    listed = job.outcome.get("blocked_employees")
    if listed is None:
        listed = [e for e in job.errors if "employee_number" in e]
    return listed


class JobPage(PageMixin, TemplateView):
    """Progress and outcome of a cohort activation (its cohort's agency decides who may read
    it) or a reclamation (roles that read every agency)."""

    template_name = "rollout/job.html"
    nav = "timeline"
    roles = READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        job = job_for(request, kwargs["pk"])
        outcome = job.outcome or {}
        context.update(
            job=job,
            outcome=outcome,
            running=job_running(job),
            percent=job_percent(job),
            # An ended job with nothing to do shows a full bar, not an empty one.
            bar_max=job.total or 1,
            bar_value=job.done if job.total else int(job.status == JobStatus.SUCCEEDED),
            refresh_seconds=REFRESH_SECONDS,
            progress_url=reverse("web:job-progress", kwargs={"pk": job.pk}),
            failures=[e for e in job.errors if "employee_number" not in e],
            can_manage=has_any_role(request.user, MANAGE),
        )
        if job.kind == JobKind.COHORT_ACTIVATION:
            cohort = job.cohort
            personal = bool(cohort) and personal_scope(request).allows(cohort.agency_id)
            people = blocked_people(job)
            context.update(
                cohort=cohort,
                wave=cohort.wave if cohort else None,
                personal=personal,
                groups=blocked_groups(people, personal=personal),
                listed=len(people),
                csv_url=reverse("web:job-blocked-csv", kwargs={"pk": job.pk}) if people else "",
                wave_running=bool(cohort) and cohort.wave.status == WaveStatus.IN_PROGRESS,
            )
        else:
            context.update(
                saving_text=effects.saving_words(Decimal(outcome.get("monthly_saving", "0"))),
                charge_before=Decimal(outcome.get("charge_before", "0")),
                charge_after=Decimal(outcome.get("charge_after", "0")),
                requested=len((outcome.get("request") or {}).get("seat_ids") or []),
                suspended_seats=outcome.get("suspended_seats", []),
                revoked_seats=outcome.get("revoked_seats", []),
            )
        return context


class JobProgress(PageMixin, View):
    """The job's progress as JSON, for the job page's script (same access as the page)."""

    roles = READ

    def get(self, request, pk: int):
        job = job_for(request, pk)
        return JsonResponse(job_progress(job))


class JobBlockedCsv(PageMixin, View):
    """Everyone a cohort activation (or its dry run) blocked, as CSV: employee number, name
    (for readers who may see names), the reason's code and the reason in words."""

    roles = READ

    def get(self, request, pk: int):
        job = job_for(request, pk)
        if job.kind != JobKind.COHORT_ACTIVATION:
            raise Http404("Only an activation job has a blocked list.")
        personal = bool(job.cohort) and personal_scope(request).allows(job.cohort.agency_id)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-blocked.csv"'
        writer = csv.writer(response)
        head = ["employee_number", "name", "code", "reason", "detail"]
        writer.writerow(head if personal else ["employee_number", "code", "reason"])
        for person in blocked_people(job):
            code = person.get("code", "")
            number = person.get("employee_number", "")
            if personal:
                row = [number, person.get("name", ""), code, reason_label(code)]
                row.append(person.get("detail", ""))
            else:
                row = [number, code, reason_label(code)]
            writer.writerow([_safe(cell) for cell in row])
        return response


def _safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(cell)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
