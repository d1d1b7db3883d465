"""Reads of the notifications app: a person's endpoints and their deliveries, their email
choices, and the events a person may read (the API's event feed)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q, QuerySet

from config.api.permissions import AgencyScope
from core.models import Event

from .catalog import SUBSCRIBABLE
from .choices import DeliveryStatus
from .models import EmailSubscription, WebhookDelivery, WebhookEndpoint


def webhook_endpoints_of(user) -> QuerySet[WebhookEndpoint]:
    """The endpoints a person owns, with how many deliveries wait and how many failed."""
    return (
        WebhookEndpoint.objects.filter(owner=user)
        .annotate(
            pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("id")
    )


def webhook_deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, with their event's type and time."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-id")


def email_choices_of(user) -> dict[str, str]:
    """A person's email choices: event type → mode (types not chosen are absent)."""
    return dict(EmailSubscription.objects.filter(user=user).values_list("event_type", "mode"))


def events_visible(scope: AgencyScope, contract_wide_types: frozenset[str]) -> QuerySet[Event]:
    """The events of the catalogue a caller may read: all of them for those who read every
    agency; for a coordinator, events of their agencies that are not contract-wide."""
    events = Event.objects.filter(type__in=SUBSCRIBABLE).order_by("id")
    if scope.is_all:
        return events
    if not scope.agency_ids:
        return events.none()
    events = events.exclude(type__in=contract_wide_types)
    ids = sorted(scope.agency_ids)
    if connection.vendor == "postgresql":
        mine = Q()
        for agency_id in ids:
            mine |= Q(agency_ids__contains=[agency_id])
        return events.filter(mine)
    # SQLite has no JSON containment operator; its json_each reads the list.
    table = Event._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    return events.extra(
        where=[f"EXISTS (SELECT 1 FROM json_each({table}.agency_ids) WHERE value IN ({marks}))"],
        params=ids,
    )
