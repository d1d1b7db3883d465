"""Admin for the roster: agencies, bargaining units and employees, with import and export.

The employee changelist is sized for a 40,000-person roster: related rows come in the same query,
related fields are picked by autocomplete rather than a full <select>, and the exact total is
not counted on every filtered page.

Employees have two imports: "Import roster (fast)", the roster import service with its preview
(a dry run), confirm step and job row (`agencies.imports`, docs/imports.md), and
django-import-export's standard import. Every export escapes formula-looking cells and is
recorded as a job; "Exports" offers the seat, event, billing and chargeback exports too.
"""

import tablib
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from import_export.admin import ImportExportModelAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from config.api.permissions import agency_scope_of
from config.errors import BusinessRuleError
from config.roles import AGENCY_COORDINATOR, FINANCE, ROLLOUT_MANAGER, has_role
from core.choices import JobKind, JobStatus
from core.models import Job
from licensing.exports import FORMATS, KINDS, ExportFilters, escape_cell, export_build
from licensing.models import Contract

from .imports.uploads import (
    import_errors_csv,
    import_upload_confirm,
    import_upload_refusal,
    import_upload_start,
)
from .models import Agency, BargainingUnit, CoordinatorAgency, Employee, UserAPIKey
from .resources import AgencyResource, BargainingUnitResource, EmployeeResource


class AuditedExportMixin:
    """The standard export, made safe to open and recorded: text cells that a spreadsheet
    would run as a formula get a leading apostrophe, and each export is a `core.Job` of kind
    export (who, which model, how many rows, when)."""

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        escaped = tablib.Dataset(headers=data.headers)
        for row in data:
            escaped.append([escape_cell(value) for value in row])
        opts = self.model._meta
        Job.objects.create(
            kind=JobKind.EXPORT,
            status=JobStatus.SUCCEEDED,
            subject=f"{opts.verbose_name_plural.capitalize()} ({len(escaped):,} rows, via admin)",
            requested_by=request.user,
            done=len(escaped),
            total=len(escaped),
            outcome={"model": opts.label, "rows": len(escaped), "via": "admin"},
        )
        return escaped


class AllOrNothingImportMixin:
    """Rolls a confirmed import back when any row fails validation. The preview already refuses
    such a file; this keeps the confirm step as strict if the data changed in between."""

    def get_import_data_kwargs(self, **kwargs):
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        data_kwargs.setdefault("rollback_on_validation_errors", True)
        return data_kwargs


@admin.register(Agency)
class AgencyAdmin(AuditedExportMixin, AllOrNothingImportMixin, ImportExportModelAdmin):
    resource_classes = [AgencyResource]
    list_display = ("code", "name", "parent", "headcount", "chargeback_code", "is_active")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("code", "name", "chargeback_code")
    ordering = ("code",)
    autocomplete_fields = ("parent",)


@admin.register(BargainingUnit)
class BargainingUnitAdmin(AuditedExportMixin, AllOrNothingImportMixin, ImportExportModelAdmin):
    resource_classes = [BargainingUnitResource]
    list_display = (
        "code",
        "name",
        "union",
        "bargaining_status",
        "holds_seats",
        "status_changed_at",
    )
    list_filter = ("bargaining_status", "union")
    search_fields = ("code", "name", "union")
    ordering = ("code",)
    # Moving the status holds or releases the members' seats: bargaining_unit_set_status does it.
    readonly_fields = ("bargaining_status", "status_changed_at")

    @admin.display(boolean=True, description="Seats held")
    def holds_seats(self, unit: BargainingUnit) -> bool:
        return unit.holds_seats


@admin.register(Employee)
class EmployeeAdmin(
    AuditedExportMixin, AllOrNothingImportMixin, SimpleHistoryAdmin, ImportExportModelAdmin
):
    resource_classes = [EmployeeResource]
    # Adds "Import roster (fast)" and "Exports" beside the standard import and export buttons.
    import_export_change_list_template = "admin/agencies/employee/change_list.html"
    list_display = (
        "employee_number",
        "last_name",
        "first_name",
        "email",
        "agency",
        "bargaining_unit",
        "job_title",
        "employment_status",
        "is_trained",
    )
    list_filter = (
        "employment_status",
        ("training_completed_on", admin.EmptyFieldListFilter),
        ("policy_acknowledged_on", admin.EmptyFieldListFilter),
        "agency",
        "bargaining_unit",
    )
    list_select_related = ("agency", "bargaining_unit")

    def get_queryset(self, request):
        # A coordinator with admin access sees (and exports) their own agencies' people only,
        # as in the API and on the pages.
        employees = super().get_queryset(request)
        if has_role(request.user, AGENCY_COORDINATOR):
            return agency_scope_of(request.user).filter(employees, "agency")
        return employees

    search_fields = ("=employee_number", "email", "last_name", "first_name", "=agency__code")
    search_help_text = "Employee number or agency code (exact), e-mail or name (contains)."
    ordering = ("employee_number",)
    autocomplete_fields = ("agency", "bargaining_unit")
    readonly_fields = ("updated_at",)
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("employee_number", "email", "first_name", "last_name")}),
        ("Placement", {"fields": ("agency", "bargaining_unit", "job_title", "employment_status")}),
        ("Readiness", {"fields": ("training_completed_on", "policy_acknowledged_on")}),
        ("Record", {"fields": ("updated_at",)}),
    )

    @admin.display(boolean=True, description="Trained")
    def is_trained(self, employee: Employee) -> bool:
        return employee.is_trained

    # --- the fast roster import: upload → preview (dry run) → confirm ----------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import-roster/", wrap(self.roster_upload_view), name="agencies_roster_import"),
            path(
                "import-roster/<int:job_id>/",
                wrap(self.roster_job_view),
                name="agencies_roster_import_job",
            ),
            path(
                "import-roster/<int:job_id>/errors.csv",
                wrap(self.roster_errors_view),
                name="agencies_roster_import_errors",
            ),
            path("exports/", wrap(self.exports_view), name="agencies_exports"),
            *super().get_urls(),
        ]

    def _may_import(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def roster_upload_view(self, request):
        if not self._may_import(request):
            raise PermissionDenied
        if request.method == "POST":
            upload = request.FILES.get("roster")
            if upload is None:
                messages.error(request, "Choose a roster file (CSV or XLSX) to upload.")
            else:
                try:
                    job = import_upload_start(
                        kind=JobKind.ROSTER_IMPORT,
                        content=upload.read(),
                        filename=upload.name,
                        actor=request.user,
                    )
                except BusinessRuleError as exc:
                    messages.error(request, exc.detail)
                else:
                    return redirect("admin:agencies_roster_import_job", job_id=job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import roster (fast)",
            "recent": Job.objects.filter(kind=JobKind.ROSTER_IMPORT)
            .select_related("requested_by")
            .order_by("-created_at")[:10],
        }
        return TemplateResponse(request, "admin/agencies/employee/import_roster.html", context)

    def _roster_job(self, request, job_id: int) -> Job:
        if not self._may_import(request):
            raise PermissionDenied
        return get_object_or_404(Job, pk=job_id, kind=JobKind.ROSTER_IMPORT)

    def roster_job_view(self, request, job_id: int):
        job = self._roster_job(request, job_id)
        if request.method == "POST":
            try:
                imported = import_upload_confirm(preview=job, actor=request.user)
            except BusinessRuleError as exc:
                messages.error(request, exc.detail)
            else:
                return redirect("admin:agencies_roster_import_job", job_id=imported.pk)
        running = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        outcome = job.outcome or {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Roster {'preview' if job.dry_run else 'import'}: {job.subject}",
            "job": job,
            "outcome": outcome,
            "running": running,
            "percent": round(100 * job.done / job.total) if job.total else None,
            "errors": job.errors[:200],
            "more_errors": max(0, int(outcome.get("errors") or 0) - 200),
            "can_confirm": import_upload_refusal(job) is None,
            "job_admin_url": reverse("admin:core_job_change", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/agencies/employee/import_roster_job.html", context)

    def roster_errors_view(self, request, job_id: int):
        job = self._roster_job(request, job_id)
        response = HttpResponse(import_errors_csv(job), content_type=FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="roster-job-{job.pk}-errors.csv"'
        return response

    # --- exports of every kind, recorded ----------------------------------------------------------

    def _export_scope(self, request):
        """Every agency for rollout managers and finance (and superusers), a coordinator's own
        agencies, nothing for anyone else."""
        user = request.user
        if has_role(user, ROLLOUT_MANAGER) or has_role(user, FINANCE):
            return None
        if has_role(user, AGENCY_COORDINATOR):
            return frozenset(
                CoordinatorAgency.objects.filter(user=user).values_list("agency_id", flat=True)
            )
        raise PermissionDenied

    def exports_view(self, request):
        agency_ids = self._export_scope(request)
        if request.method == "POST":
            kind = request.POST.get("kind", "")
            fmt = request.POST.get("format", "csv")
            if kind not in KINDS or fmt not in FORMATS:
                raise Http404
            if agency_ids is not None and not KINDS[kind].per_agency:
                raise PermissionDenied
            number = request.POST.get("contract") or None
            export = export_build(
                kind=kind,
                fmt=fmt,
                actor=request.user,
                filters=ExportFilters(
                    contract=Contract.objects.filter(number=number).first() if number else None,
                    agency_code=request.POST.get("agency") or None,
                ),
                agency_ids=agency_ids,
                via="admin",
            )
            response = HttpResponse(export.content, content_type=export.content_type)
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Exports",
            "kinds": [
                (name, spec.title)
                for name, spec in KINDS.items()
                if agency_ids is None or spec.per_agency
            ],
            "formats": sorted(FORMATS),
            "contracts": Contract.objects.order_by("number").values_list("number", "name"),
            "recent": Job.objects.filter(kind=JobKind.EXPORT)
            .select_related("requested_by")
            .order_by("-created_at")[:10],
        }
        return TemplateResponse(request, "admin/agencies/employee/exports.html", context)


@admin.register(CoordinatorAgency)
class CoordinatorAgencyAdmin(admin.ModelAdmin):
    """Which agencies each agency coordinator acts for (their whole scope in the app and API)."""

    list_display = ("user", "agency")
    list_filter = ("agency",)
    list_select_related = ("user", "agency")
    search_fields = ("user__username", "user__email", "=agency__code", "agency__name")
    ordering = ("user__username", "agency__code")
    autocomplete_fields = ("user", "agency")


@admin.register(UserAPIKey)
class UserAPIKeyAdmin(APIKeyModelAdmin):
    """API keys of REST clients. The key is shown once, when it is created; only its hash is
    stored."""

    list_display = (*APIKeyModelAdmin.list_display, "user")
    list_select_related = ("user",)
    search_fields = (*APIKeyModelAdmin.search_fields, "user__username")
    autocomplete_fields = ("user",)
