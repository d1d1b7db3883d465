"""Admin of the vendor app: staff set each contract's SCIM connection here (the token written,
never shown); the provisioning rows, intents, circuits and reconciliations are only watched, and
failed seats can be retried (through the same service as the queue page)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from config.errors import BusinessRuleError
from core.admin import ViewOnlyAdminMixin

from .models import (
    ProvisioningIntent,
    Reconciliation,
    SeatProvisioning,
    VendorCircuit,
    VendorConnection,
)
from .services import circuit_close, seat_provisioning_retry


class VendorConnectionForm(forms.ModelForm):
    """The token is write-only: the field is always shown empty, a new value replaces the stored
    one, and an empty one keeps it (a connection needs one to be saved the first time)."""

    base_url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label="Base URL",
        help_text=VendorConnection._meta.get_field("base_url").help_text,
    )
    token = forms.CharField(
        required=False,
        strip=True,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The bearer token the vendor generated. It is never shown again: leave empty "
        "to keep the stored one, type a new one to replace it.",
    )

    class Meta:
        model = VendorConnection
        fields = ["contract", "is_enabled", "base_url", "token", "revoke_action"]

    def clean_token(self):
        token = self.cleaned_data.get("token", "")
        if not token and not (self.instance.pk and self.instance.token):
            raise forms.ValidationError("A new connection needs the vendor's bearer token.")
        return token

    def save(self, commit=True):
        token = self.cleaned_data.get("token")
        if not token and self.instance.pk:
            # Keep the stored token: the form never had it.
            self.instance.token = VendorConnection.objects.get(pk=self.instance.pk).token
        return super().save(commit=commit)


@admin.register(VendorConnection)
class VendorConnectionAdmin(admin.ModelAdmin):
    """One contract's SCIM connection; the token is written here and shown nowhere."""

    form = VendorConnectionForm
    list_display = (
        "contract",
        "base_url",
        "is_enabled",
        "revoke_action",
        "token_set",
        "updated_at",
    )
    list_select_related = ("contract",)
    list_filter = ("is_enabled", "revoke_action")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(boolean=True, description="Token set")
    def token_set(self, connection: VendorConnection) -> bool:
        return bool(connection.token)


@admin.register(SeatProvisioning)
class SeatProvisioningAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Each seat's vendor side, read-only; "retry" asks for a push now."""

    list_display = (
        "seat",
        "contract",
        "state",
        "operation",
        "attempts",
        "next_attempt_at",
        "provisioned_at",
        "short_detail",
    )
    list_filter = ("state", "operation", "contract")
    list_select_related = ("seat", "contract")
    search_fields = ("seat__employee__employee_number", "vendor_user_id")
    ordering = ("-updated_at",)
    show_full_result_count = False
    actions = ["retry"]
    readonly_fields = [f.name for f in SeatProvisioning._meta.fields]

    @admin.display(description="Detail")
    def short_detail(self, row: SeatProvisioning) -> str:
        return row.detail[:80]

    @admin.action(description="Retry the push of the selected seats now")
    def retry(self, request, queryset):
        done = 0
        for row in queryset.select_related("seat"):
            try:
                seat_provisioning_retry(seat=row.seat, actor=request.user)
            except BusinessRuleError as exc:
                self.message_user(request, f"Seat {row.seat_id}: {exc.detail}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} seat(s) will be pushed again.", messages.SUCCESS)


@admin.register(ProvisioningIntent)
class ProvisioningIntentAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """The intents taken from the outbox, read-only: which event, which seat, when delivered."""

    list_display = ("event", "seat", "to_status", "created_at", "delivered_at")
    list_filter = ("to_status",)
    search_fields = ("seat__id",)
    ordering = ("-event_id",)
    show_full_result_count = False
    readonly_fields = ("event", "seat", "to_status", "created_at", "delivered_at")


@admin.register(VendorCircuit)
class VendorCircuitAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Each vendor endpoint's circuit, read-only; "close" lets the next run call at once."""

    list_display = (
        "endpoint",
        "failures",
        "openings",
        "opened_at",
        "open_until",
        "paused_until",
        "last_success_at",
    )
    readonly_fields = [f.name for f in VendorCircuit._meta.fields]
    actions = ["close"]

    @admin.action(description="Close the selected circuits (the vendor is back)")
    def close(self, request, queryset):
        for circuit in queryset:
            circuit_close(endpoint=circuit.endpoint)
        self.message_user(request, "Closed; the next provisioning run calls the vendor.")


@admin.register(Reconciliation)
class ReconciliationAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Past reconciliations, read-only."""

    list_display = (
        "contract",
        "checked_at",
        "source",
        "vendor_users",
        "active_seats",
        "shadow_members",
        "not_provisioned",
        "mismatched",
        "monthly_cost_at_risk",
    )
    list_filter = ("source", "contract")
    date_hierarchy = "checked_at"
    readonly_fields = [f.name for f in Reconciliation._meta.fields]
