"""Admin for the rollout plan: waves with their cohorts, cohorts with their readiness gates, and
the status changes they went through; and people's private calendar links, to revoke.

A wave's approval (`status`, `approved_by`, `approved_at`) and a gate's sign-off (`is_met`,
`met_at`, `signed_off_by`) are read-only here: they go through the rollout services, which check
the rules and record who acted.
"""

from django.contrib import admin
from django.db.models import Count, Q, Sum
from simple_history.admin import SimpleHistoryAdmin

from licensing.choices import SeatStatus
from licensing.services.scheduling import cost_recompute_request

from .models import CalendarLink, Cohort, ReadinessCheck, Wave, WaveEvent
from .services import calendar_links_revoke

# Who vouched for a gate, and when, is recorded by readiness_sign_off / readiness_reopen from the
# person acting, so the admin shows these and never lets anyone type them in.
SIGN_OFF_FIELDS = ("is_met", "met_at", "signed_off_by")


class PlanCostMixin:
    """Staff edits of the plan move the projected total like the plan services' do, so they ask
    for the same coalesced cost recompute on commit (history records the user through the
    request middleware)."""

    def _contract_id(self, obj) -> int:
        return obj.contract_id if isinstance(obj, Wave) else obj.wave.contract_id

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cost_recompute_request(contract_id=self._contract_id(obj))

    def delete_model(self, request, obj):
        contract_id = self._contract_id(obj)
        super().delete_model(request, obj)
        cost_recompute_request(contract_id=contract_id)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cost_recompute_request(contract_id=self._contract_id(form.instance))


class CohortInline(admin.TabularInline):
    model = Cohort
    fields = ("agency", "seat_quota", "onboarding_date", "status")
    autocomplete_fields = ("agency",)
    extra = 0
    show_change_link = True


class WaveEventInline(admin.TabularInline):
    """Who moved the wave, when and why: written by the wave services, never edited."""

    model = WaveEvent
    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "status change"

    def has_add_permission(self, request, obj=None):
        return False


class ReadinessCheckInline(admin.TabularInline):
    model = ReadinessCheck
    fields = ("kind", "is_met", "met_at", "signed_off_by", "evidence")
    readonly_fields = SIGN_OFF_FIELDS
    extra = 0


@admin.register(Wave)
class WaveAdmin(PlanCostMixin, SimpleHistoryAdmin):
    list_display = (
        "number",
        "name",
        "contract",
        "status",
        "planned_start",
        "planned_end",
        "cohort_count",
        "seat_quota_total",
        "approved_by",
        "approved_at",
    )
    list_display_links = ("number", "name")
    list_filter = ("status", "contract")
    list_select_related = ("contract", "approved_by")
    search_fields = ("name", "contract__number", "contract__name")
    ordering = ("contract", "number")
    date_hierarchy = "planned_start"
    autocomplete_fields = ("contract",)
    readonly_fields = ("status", "approved_by", "approved_at")
    inlines = (CohortInline, WaveEventInline)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_cohort_count=Count("cohorts"), _seat_quota_total=Sum("cohorts__seat_quota"))
        )

    @admin.display(description="Cohorts", ordering="_cohort_count")
    def cohort_count(self, wave: Wave) -> int:
        return wave._cohort_count

    @admin.display(description="Seat quota", ordering="_seat_quota_total")
    def seat_quota_total(self, wave: Wave) -> int:
        return wave._seat_quota_total or 0


@admin.register(Cohort)
class CohortAdmin(PlanCostMixin, SimpleHistoryAdmin):
    list_display = (
        "agency",
        "wave",
        "seat_quota",
        "active_seats",
        "onboarding_date",
        "status",
    )
    list_filter = ("status", "wave__contract", "wave")
    list_select_related = ("wave", "agency")
    search_fields = ("agency__code", "agency__name", "wave__name")
    ordering = ("wave__contract", "wave__number", "agency__code")
    date_hierarchy = "onboarding_date"
    autocomplete_fields = ("wave", "agency")
    inlines = (ReadinessCheckInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_active_seats=Count("seats", filter=Q(seats__status=SeatStatus.ACTIVE)))
        )

    @admin.display(description="Active seats", ordering="_active_seats")
    def active_seats(self, cohort: Cohort) -> int:
        return cohort._active_seats


@admin.register(ReadinessCheck)
class ReadinessCheckAdmin(admin.ModelAdmin):
    list_display = ("cohort", "kind", "is_met", "met_at", "signed_off_by")
    list_filter = ("kind", "is_met", "cohort__wave")
    list_select_related = ("cohort__wave", "cohort__agency", "signed_off_by")
    search_fields = ("cohort__agency__code", "cohort__agency__name", "evidence")
    ordering = ("cohort__wave__number", "cohort__agency__code", "kind")
    autocomplete_fields = ("cohort",)
    readonly_fields = SIGN_OFF_FIELDS


@admin.register(CalendarLink)
class CalendarLinkAdmin(admin.ModelAdmin):
    """Who has a private calendar link, since when; an administrator revokes links (the owner
    makes a new one on the timeline). The token is never shown: only its hash is stored."""

    list_display = ("user", "created_at")
    search_fields = ("user__username", "user__email")
    fields = ("user", "created_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected calendar links (owners make new ones)")
    def revoke(self, request, queryset):
        count = calendar_links_revoke(user_ids=list(queryset.values_list("user_id", flat=True)))
        self.message_user(request, f"{count} calendar link{'s' if count != 1 else ''} revoked.")
