"""Admin of the notifications app, for staff to watch and, where a person would, act through
the services: endpoints (enable, disable; the secret is never shown), deliveries (redeliver),
email choices and deliveries, and the remembered threshold and gate states. Nothing here edits
a row directly: endpoints are created by their owners, deliveries by the outbox."""

from django.contrib import admin, messages

from config.errors import BusinessRuleError
from core.admin import ViewOnlyAdminMixin

from .models import (
    CohortGateState,
    CostThresholdState,
    EmailDelivery,
    EmailSubscription,
    WebhookDelivery,
    WebhookEndpoint,
)
from .services.webhooks import webhook_delivery_redeliver, webhook_endpoint_update


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Endpoints and their health. Enabling and disabling go through the service, as their
    owner's would (an endpoint is acted on only by its owner: staff ask them, or act as
    superuser on their own endpoints)."""

    list_display = ("id", "url", "owner", "is_active", "failing_since", "last_success_at")
    list_filter = ("is_active",)
    list_select_related = ("owner",)
    search_fields = ("url", "description", "owner__username")
    fields = (
        "owner",
        "url",
        "description",
        "event_types",
        "is_active",
        "failing_since",
        "last_success_at",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("enable", "disable")

    def _set_active(self, request, queryset, active: bool):
        for endpoint in queryset:
            try:
                webhook_endpoint_update(endpoint=endpoint, actor=request.user, is_active=active)
            except BusinessRuleError as exc:
                self.message_user(request, f"{endpoint}: {exc.detail}", messages.ERROR)

    @admin.action(description="Enable the selected endpoints (your own)")
    def enable(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Disable the selected endpoints (your own)")
    def disable(self, request, queryset):
        self._set_active(request, queryset, False)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """One row per (event, endpoint): where it stands, tries, the last answer."""

    list_display = (
        "id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status",)
    list_select_related = ("event", "endpoint")
    search_fields = ("event__type", "endpoint__url")
    ordering = ("-id",)
    show_full_result_count = False
    fields = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "retries",
        "next_attempt_at",
        "lease_until",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    )
    readonly_fields = fields
    actions = ("redeliver",)

    @admin.action(description="Redeliver the selected deliveries (your own endpoints)")
    def redeliver(self, request, queryset):
        for delivery in queryset:
            try:
                webhook_delivery_redeliver(delivery=delivery, actor=request.user)
            except BusinessRuleError as exc:
                self.message_user(request, f"{delivery}: {exc.detail}", messages.ERROR)


@admin.register(EmailSubscription)
class EmailSubscriptionAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Who chose to receive what by email (each person sets it on their notifications page)."""

    list_display = ("user", "event_type", "mode", "updated_at")
    list_filter = ("event_type", "mode")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = list_display
    readonly_fields = fields


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "event", "user", "mode", "status", "attempts", "sent_at")
    list_filter = ("status", "mode")
    list_select_related = ("event", "user")
    ordering = ("-id",)
    show_full_result_count = False
    fields = (
        "event",
        "user",
        "mode",
        "status",
        "attempts",
        "retries",
        "next_attempt_at",
        "lease_until",
        "last_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
    )
    readonly_fields = fields


@admin.register(CostThresholdState)
class CostThresholdStateAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Which cost thresholds each contract has tripped (re-armed below the margin)."""

    list_display = ("contract", "tripped", "as_of", "updated_at")
    fields = list_display
    readonly_fields = fields


@admin.register(CohortGateState)
class CohortGateStateAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Whether each open cohort's gates passed when last judged."""

    list_display = ("cohort", "passing", "changed_at", "observed_at")
    list_filter = ("passing",)
    fields = list_display
    readonly_fields = fields
