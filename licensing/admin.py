"""Admin for the contract, its seats and the money derived from them.

What the admin may change follows from where each figure comes from:
- Contracts and their price tiers are terms staff enter; the tier table is checked against the
  pricing rules (contiguous from 1, last tier open) before it is saved.
- A seat's status and its dates are derived from its `SeatEvent` history and move only through
  the licensing services; its contract, employee and charged agency are fixed at request time.
  Seats are therefore not added or deleted here either.
- `SeatEvent` is the append-only log billing is derived from: view only.
- `UsageDay` rows come from the vendor's activity export and `CostSnapshot` rows from the cost
  job: view only.
- A `BillingPeriod` is written when the period closes; finance only moves its `status`.

Money is shown as stored (`Decimal`, cents), never reformatted through floats.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin import ViewOnlyAdminMixin

from . import pricing
from .models import (
    BillingPeriod,
    BillingPeriodEvent,
    Contract,
    CostSnapshot,
    PriceTier,
    Seat,
    SeatEvent,
    UsageDay,
)
from .services.scheduling import cost_recompute_request


class PriceTierFormSet(BaseInlineFormSet):
    """Refuses a tier table the pricing rules cannot price, naming the offending tier."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        tiers = [
            pricing.Tier(
                form.cleaned_data["min_seats"],
                form.cleaned_data.get("max_seats"),
                form.cleaned_data["unit_price_monthly"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            pricing.validate_tiers(tiers)
        except pricing.TermsError as exc:
            raise ValidationError(str(exc)) from exc


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    formset = PriceTierFormSet
    fields = ("min_seats", "max_seats", "unit_price_monthly")
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "name",
        "vendor",
        "reseller",
        "start_date",
        "end_date",
        "floor_amount",
        "ceiling_amount",
        "tier_mode",
        "billing_basis",
        "is_active",
    )
    list_display_links = ("number", "name")
    list_filter = ("is_active", "tier_mode", "billing_basis", "vendor")
    search_fields = ("number", "name", "vendor", "reseller")
    ordering = ("start_date", "number")
    fieldsets = (
        (None, {"fields": ("name", "number", "vendor", "reseller", "is_active")}),
        ("Term and band", {"fields": ("start_date", "end_date", "floor_amount", "ceiling_amount")}),
        (
            "Pricing",
            {
                "fields": (
                    "tier_mode",
                    "billing_basis",
                    "min_billable_seats",
                    "shortfall_allocation",
                )
            },
        ),
        (
            "Rollout policy",
            {
                "fields": (
                    "requires_training",
                    "readiness_threshold",
                    "idle_days",
                    "reclaim_grace_days",
                )
            },
        ),
    )
    inlines = (PriceTierInline,)

    # Terms and tiers move every cost figure: ask for the coalesced recompute on commit, as the
    # services do for their own changes.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cost_recompute_request(contract_id=form.instance.pk)


class SeatEventInline(admin.TabularInline):
    """The seat's history on its own page, oldest first; read-only like the log itself."""

    model = SeatEvent
    fields = ("at", "from_status", "from_at", "to_status", "actor", "job", "reason")
    readonly_fields = fields
    ordering = ("at", "id")
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "job")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "employee",
        "agency",
        "contract",
        "cohort",
        "status",
        "activated_at",
        "ended_at",
        "last_active_at",
    )
    list_filter = ("status", "contract", "cohort__wave", "agency")
    list_select_related = ("employee", "agency", "contract", "cohort__wave", "cohort__agency")
    search_fields = (
        "=employee__employee_number",
        "employee__email",
        "employee__last_name",
        "=agency__code",
    )
    search_help_text = "Employee number or agency code (exact), e-mail or last name (contains)."
    ordering = ("-id",)
    date_hierarchy = "activated_at"
    show_full_result_count = False
    autocomplete_fields = ("cohort",)
    fields = (
        "contract",
        "employee",
        "agency",
        "cohort",
        "status",
        "status_changed_at",
        "activated_at",
        "ended_at",
        "last_active_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "contract",
        "employee",
        "agency",
        "status",
        "status_changed_at",
        "activated_at",
        "ended_at",
        "last_active_at",
        "created_at",
        "updated_at",
    )
    inlines = (SeatEventInline,)

    def has_add_permission(self, request):
        # A seat starts life in a service that writes its first SeatEvent in the same transaction.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SeatEvent)
class SeatEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "seat", "from_status", "to_status", "at", "actor", "job", "reason")
    list_filter = ("to_status", "from_status", "contract")
    list_select_related = ("seat", "actor", "job")
    search_fields = ("=seat__employee__employee_number", "reason")
    search_help_text = "Employee number (exact) or reason (contains)."
    ordering = ("-at", "-id")
    date_hierarchy = "at"
    show_full_result_count = False
    fields = ("seat", "contract", "agency", "cohort", "from_status", "from_at", "to_status", "at")
    fields += ("actor", "job", "reason")
    readonly_fields = fields


@admin.register(UsageDay)
class UsageDayAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("seat", "date", "messages")
    list_filter = ("seat__contract",)
    list_select_related = ("seat",)
    search_fields = ("=seat__employee__employee_number",)
    search_help_text = "Employee number (exact)."
    ordering = ("-date", "seat")
    date_hierarchy = "date"
    show_full_result_count = False
    fields = ("seat", "date", "messages")
    readonly_fields = fields


@admin.register(BillingPeriod)
class BillingPeriodAdmin(admin.ModelAdmin):
    list_display = (
        "contract",
        "start",
        "end",
        "billable_persons",
        "charged_seats",
        "unit_price",
        "amount",
        "status",
        "status_changed_by",
        "status_changed_at",
    )
    list_filter = ("status", "contract")
    list_select_related = ("contract", "status_changed_by")
    search_fields = ("contract__number", "contract__name")
    ordering = ("contract", "-start")
    date_hierarchy = "start"
    fields = (
        "contract",
        "start",
        "end",
        "billable_persons",
        "charged_seats",
        "unit_price",
        "amount",
        "unallocated_amount",
        "explanation",
        "status",
        "status_changed_by",
        "status_changed_at",
        "created_at",
        "record",
    )
    readonly_fields = tuple(f for f in fields if f != "status")

    @admin.display(description="Record of marks")
    def record(self, line: BillingPeriod) -> str:
        """Every mark and undo of the line, oldest first: when, from → to, who, why."""
        events = line.events.select_related("actor").order_by("at", "id")
        if not events:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} → {} by {}{}</li>",
                (
                    (
                        timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                        e.from_status,
                        e.to_status,
                        e.actor.get_username() if e.actor else "—",
                        f" — {e.reason}" if e.reason else "",
                    )
                    for e in events
                ),
            ),
        )

    def has_add_permission(self, request):
        # Periods are written by the billing job when they close.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # A superuser may set any status here (a correction the console does not offer); it is
        # recorded like every other mark.
        if "status" in form.changed_data:
            obj.status_changed_by = request.user
            obj.status_changed_at = timezone.now()
            BillingPeriodEvent.objects.create(
                line=obj,
                from_status=form.initial.get("status", ""),
                to_status=obj.status,
                at=obj.status_changed_at,
                actor=request.user,
                reason="changed in the admin",
            )
        super().save_model(request, obj, form, change)


@admin.register(CostSnapshot)
class CostSnapshotAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "contract",
        "as_of",
        "computed_at",
        "active_seats",
        "billable_seats_this_month",
        "spend_to_date",
        "projected_total",
        "committed_total",
        "headroom_seats",
        "below_floor",
        "over_ceiling",
    )
    list_filter = ("contract", "below_floor", "over_ceiling")
    list_select_related = ("contract",)
    ordering = ("-computed_at", "-id")
    date_hierarchy = "as_of"
    show_full_result_count = False
    fields = (
        "contract",
        "as_of",
        "computed_at",
        "active_seats",
        "billable_seats_this_month",
        "spend_to_date",
        "projected_total",
        "committed_total",
        "headroom_seats",
        "below_floor",
        "over_ceiling",
        "by_agency",
        "fingerprint",
        "inputs",
        "report",
    )
    readonly_fields = fields
