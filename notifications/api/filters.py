"""Query filters of the notifications API."""

from __future__ import annotations

import django_filters

from config.api.filters import IdFilter, StrictFilterSet
from core.models import Event

from ..catalog import SUBSCRIBABLE_CHOICES
from ..choices import DeliveryStatus
from ..models import WebhookDelivery


class EventFilter(StrictFilterSet):
    type = django_filters.ChoiceFilter(choices=SUBSCRIBABLE_CHOICES)
    after = IdFilter(
        field_name="id",
        lookup_expr="gt",
        help_text="Only events after this id: a poller catching up from the last one it saw.",
    )

    class Meta:
        model = Event
        fields = ["type", "after"]


class DeliveryFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event = IdFilter(field_name="event_id", help_text="Event id.")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]
