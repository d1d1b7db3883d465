"""Admin for the roster: agencies, bargaining units and employees, with import and export.

The employee changelist is sized for a 40,000-person roster: related rows come in the same query,
related fields are picked by autocomplete rather than a full <select>, and the exact total is
not counted on every filtered page.
"""

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin

from .models import Agency, BargainingUnit, CoordinatorAgency, Employee, UserAPIKey
from .resources import AgencyResource, BargainingUnitResource, EmployeeResource


class AllOrNothingImportMixin:
    """Rolls a confirmed import back when any row fails validation. The preview already refuses
    such a file; this keeps the confirm step as strict if the data changed in between."""

    def get_import_data_kwargs(self, **kwargs):
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        data_kwargs.setdefault("rollback_on_validation_errors", True)
        return data_kwargs


@admin.register(Agency)
class AgencyAdmin(AllOrNothingImportMixin, ImportExportModelAdmin):
    resource_classes = [AgencyResource]
    list_display = ("code", "name", "parent", "headcount", "chargeback_code", "is_active")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("code", "name", "chargeback_code")
    ordering = ("code",)
    autocomplete_fields = ("parent",)


@admin.register(BargainingUnit)
class BargainingUnitAdmin(AllOrNothingImportMixin, ImportExportModelAdmin):
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
class EmployeeAdmin(AllOrNothingImportMixin, ImportExportModelAdmin):
    resource_classes = [EmployeeResource]
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
