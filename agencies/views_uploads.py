"""Roster and usage uploads from the console: upload a file, read its dry run (counts, warnings,
and every rejected row with its line, column and reason), then confirm the same file, which
the server kept, without uploading it again.

This is the admin's import flow (`agencies.imports.uploads`: the upload kept as an
`ImportUpload`, the preview and the import each a `core.Job`, small files run in the request,
larger ones queued) behind console pages; the import itself is the one `import_roster` and
`import_usage` run. The job's page shows its progress while it runs (it reloads itself every
two seconds through `<meta http-equiv="refresh">`, which the CSP allows) and its report when
it has finished. Rollout managers only, like the admin's import.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from config.api.permissions import MANAGE
from config.console import ActionPage
from core.choices import JobKind
from core.jobs import job_percent, job_progress, job_running
from core.models import Job
from licensing.exports import FORMATS
from licensing.models import Contract

from .imports.uploads import (
    UPLOAD_KINDS,
    import_errors_csv,
    import_upload_confirm,
    import_upload_imported,
    import_upload_refusal,
    import_upload_start,
)
from .views import PageMixin

ERRORS_SHOWN = 200
# How often the job page asks for the import's progress while it runs.
IMPORT_REFRESH_SECONDS = 2
RECENT_JOBS = 20

# The figures of each import's report, in the order its command prints them.
FIGURES = {
    JobKind.ROSTER_IMPORT: (
        ("rows", "Rows read"),
        ("new", "New employees"),
        ("updated", "Employees updated"),
        ("unchanged", "Unchanged"),
        ("invalid", "Invalid rows"),
        ("agency_changed", "Agency changed (seats kept)"),
        ("newly_separated", "Newly separated"),
        ("seats_revoked", "Open seats revoked on separation"),
    ),
    JobKind.USAGE_IMPORT: (
        ("rows", "Rows read"),
        ("new", "Usage days new"),
        ("changed", "Usage days changed"),
        ("unchanged", "Unchanged"),
        ("zero_days", "Days with no message (skipped)"),
        ("repeated", "Repeated (user, day) pairs"),
        ("seats_touched", "Seats with usage"),
        ("last_active_moved", "Last activity moved forward"),
        ("unknown_rows", "Rows of unknown e-mails (skipped)"),
        ("no_seat_rows", "Rows of people without a seat that day (skipped)"),
    ),
}
WHAT = {JobKind.ROSTER_IMPORT: "roster", JobKind.USAGE_IMPORT: "usage export"}


def import_jobs():
    return Job.objects.filter(kind__in=list(UPLOAD_KINDS)).select_related("requested_by")


def job_url(job: Job) -> str:
    return reverse("web:import-job", kwargs={"pk": job.pk}) + "#report"


class ImportsPage(PageMixin, TemplateView):
    """The two uploads and the latest imports (previews and real runs, from a page or a
    command) with their outcome."""

    template_name = "agencies/imports.html"
    nav = "imports"
    roles = MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["jobs"] = list(import_jobs().order_by("-created_at", "-id")[:RECENT_JOBS])
        return context


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster file (CSV or XLSX)",
        help_text="HR's roster: employee number, e-mail, names, agency code, and optionally "
        "unit, title, status and the training dates. Nothing is written until you confirm "
        "the preview.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class UsageUploadForm(forms.Form):
    file = forms.FileField(
        label="Usage export (CSV or XLSX)",
        help_text="The vendor's activity export: each user's e-mail, the day and the number of "
        "messages. Nothing is written until you confirm the preview.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.filter(is_active=True).order_by("start_date", "id"),
        label="Contract",
        empty_label=None,
        help_text="The contract whose seats the usage belongs to.",
    )


class UploadPage(ActionPage):
    """Upload a file and preview its import (a dry run); the preview's page follows. There is no
    confirmation step here: the preview is it, and nothing is written before it is confirmed."""

    roles = MANAGE
    nav = "imports"
    kind = ""
    submit_label = "Upload and preview"

    def cancel_url(self) -> str:
        return reverse("web:imports")

    def perform(self, form) -> str:
        upload = form.cleaned_data["file"]
        contract = form.cleaned_data.get("contract")
        job = import_upload_start(
            kind=self.kind,
            content=upload.read(),
            filename=upload.name,
            actor=self.request.user,
            contract_id=contract.pk if contract else None,
        )
        return job_url(job)


class RosterUploadPage(UploadPage):
    form_class = RosterUploadForm
    kind = JobKind.ROSTER_IMPORT
    title = "Upload a roster"
    intro = (
        "The file is checked in full first (a dry run): you see what it would change and every "
        "row it rejects, with its line, column and reason. One invalid row rejects the whole "
        "file. Employees not in the file are left as they are."
    )


class UsageUploadPage(UploadPage):
    form_class = UsageUploadForm
    kind = JobKind.USAGE_IMPORT
    title = "Upload a usage export"
    intro = (
        "The file is checked in full first (a dry run): you see the usage days it would add or "
        "change, the e-mails it does not know, and every malformed row with its line, column "
        "and reason. A malformed row rejects the whole file."
    )


class ImportJobPage(PageMixin, TemplateView):
    """One import's page (preview or real run): its progress while it runs, then its report,
    and for a clean preview the button that imports the same file."""

    template_name = "agencies/import_job.html"
    nav = "imports"
    roles = MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = get_object_or_404(import_jobs(), pk=kwargs["pk"])
        outcome = job.outcome or {}
        running = job_running(job)
        contract_id = outcome.get("contract")
        imported = import_upload_imported(job) if job.dry_run else None
        preview = None
        if not job.dry_run and outcome.get("upload"):
            preview = (
                import_jobs()
                .filter(kind=job.kind, dry_run=True, outcome__upload=outcome["upload"])
                .order_by("-created_at", "-id")
                .first()
            )
        context.update(
            job=job,
            what=WHAT[job.kind],
            outcome=outcome,
            running=running,
            figures=[(label, outcome.get(key)) for key, label in FIGURES[job.kind]]
            if not running
            else [],
            percent=job_percent(job),
            progress_url=reverse("web:import-job-progress", kwargs={"pk": job.pk}),
            refresh_seconds=IMPORT_REFRESH_SECONDS,
            errors=job.errors[:ERRORS_SHOWN],
            error_count=int(outcome.get("errors") or len(job.errors)),
            more_errors=max(0, int(outcome.get("errors") or 0) - ERRORS_SHOWN),
            kept_errors=len(job.errors),
            contract=Contract.objects.filter(pk=contract_id).first() if contract_id else None,
            can_confirm=not running and import_upload_refusal(job) is None,
            imported=imported,
            preview=preview,
            upload_url=reverse(
                "web:import-roster" if job.kind == JobKind.ROSTER_IMPORT else "web:import-usage"
            ),
        )
        return context


class ImportJobProgress(PageMixin, View):
    """The import's progress as JSON, for the job page's script (same access as the page)."""

    roles = MANAGE

    def get(self, request, pk: int):
        return JsonResponse(job_progress(get_object_or_404(import_jobs(), pk=pk)))


class ImportConfirmForm(forms.Form):
    """Nothing to fill in: the file is the one the preview checked."""


class ImportConfirmPage(ActionPage):
    """Import for real the file a clean preview checked (`import_upload_confirm`); the import's
    own page follows. Refused, with the service's words, when the preview rejected the file,
    the file was imported already, or it is no longer kept."""

    roles = MANAGE
    nav = "imports"
    form_class = ImportConfirmForm

    def get_subject(self) -> Job:
        return get_object_or_404(import_jobs(), pk=self.kwargs["pk"])

    @cached_property
    def title(self) -> str:  # type: ignore[override]
        return f"Import {self.subject.subject}"

    @property
    def intro(self) -> str:  # type: ignore[override]
        return (
            f"The {WHAT[self.subject.kind]} checked by preview #{self.subject.pk} is imported "
            "as it was uploaded: you do not upload it again."
        )

    @property
    def submit_label(self) -> str:  # type: ignore[override]
        return f"Import this {WHAT[self.subject.kind]}"

    def cancel_url(self) -> str:
        return job_url(self.subject)

    def perform(self, form) -> str:
        job = import_upload_confirm(preview=self.subject, actor=self.request.user)
        return job_url(job)


class ImportErrorsCsv(PageMixin, View):
    """The rows an import rejected (the first 1,000 kept on its job) as a CSV file."""

    roles = MANAGE
    http_method_names = ["get", "head"]

    def get(self, request, pk: int):
        job = get_object_or_404(import_jobs(), pk=pk)
        if not job.errors:
            raise Http404("This import rejected no row.")
        response = HttpResponse(import_errors_csv(job), content_type=FORMATS["csv"])
        response["Content-Disposition"] = (
            f'attachment; filename="{job.kind}-job-{job.pk}-errors.csv"'
        )
        return response
