"""Serializers of the notifications API: events as a caller may read them, the catalogue of
event types, webhook endpoints and their deliveries, and a person's email choices."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import StrictSerializer
from core.models import Event

from ..catalog import SUBSCRIBABLE_CHOICES
from ..choices import EmailMode
from ..models import WebhookDelivery, WebhookEndpoint
from ..services.email import OFF
from ..services.webhooks import webhook_url_refusal

EVENT_TYPE_CHOICES = SUBSCRIBABLE_CHOICES
EMAIL_CHOICE_CHOICES = [*EmailMode.choices, (OFF, "Off")]


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The name subscriptions use, e.g. wave.status_changed.")
    label = serializers.CharField()
    description = serializers.CharField()
    contract_wide = serializers.BooleanField(
        help_text="Carries contract-wide figures: agency coordinators never receive it."
    )
    fields = serializers.DictField(
        child=serializers.CharField(), help_text="The payload's fields and what each holds."
    )


class EventSerializer(serializers.ModelSerializer):
    webhook_id = serializers.SerializerMethodField(
        help_text="The `webhook-id` a webhook of this event carries (`evt_<id>`)."
    )
    data = serializers.SerializerMethodField(
        help_text="The payload, with the fields your role may read (see event-types)."
    )

    class Meta:
        model = Event
        fields = ["id", "webhook_id", "type", "subject", "created_at", "data"]

    def get_webhook_id(self, event) -> str:
        return f"evt_{event.pk}"

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_data(self, event) -> dict:
        return self.context["audience"].payload(event)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        source="event_types", child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES)
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "failing_since",
            "last_success_at",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_…`): shown in this answer only, never again."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


def _checked_url(url: str) -> str:
    """A URL that may receive webhooks now (bad input otherwise: 400 naming `url`)."""
    url = url.strip()
    refusal = webhook_url_refusal(url)
    if refusal:
        raise serializers.ValidationError(refusal)
    return url


class WebhookEndpointInputSerializer(StrictSerializer):
    read_only_names = frozenset(WebhookEndpointCreatedSerializer.Meta.fields)

    url = serializers.CharField(
        max_length=2000,
        help_text="http(s) URL on a public address (checked now and at every delivery).",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES),
        min_length=1,
        max_length=len(EVENT_TYPE_CHOICES),
        help_text="The event types to receive.",
    )
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )

    def validate_url(self, url: str) -> str:
        return _checked_url(url)


class WebhookEndpointPatchSerializer(StrictSerializer):
    read_only_names = frozenset(WebhookEndpointCreatedSerializer.Meta.fields)

    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES),
        min_length=1,
        max_length=len(EVENT_TYPE_CHOICES),
        required=False,
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False,
        help_text="false disables it; true enables it again and sends what waited at once.",
    )

    def validate_url(self, url: str) -> str:
        return _checked_url(url)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.SerializerMethodField(help_text="The `webhook-id` sent: `evt_<id>`.")
    event_type = serializers.CharField(source="event.type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_type",
            "webhook_id",
            "status",
            "attempts",
            "retries",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields

    def get_webhook_id(self, delivery) -> str:
        return f"evt_{delivery.event_id}"


class EmailSubscriptionSerializer(serializers.Serializer):
    event_type = serializers.ChoiceField(choices=EVENT_TYPE_CHOICES)
    mode = serializers.ChoiceField(choices=EmailMode.choices)


class EmailChoiceInputSerializer(StrictSerializer):
    event_type = serializers.ChoiceField(choices=EVENT_TYPE_CHOICES)
    mode = serializers.ChoiceField(
        choices=EMAIL_CHOICE_CHOICES,
        help_text="immediate, digest (once a day), or off (stop receiving it).",
    )
