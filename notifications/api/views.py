"""Endpoints of the notifications API: the catalogue of event types, the event feed (what a
webhook would have carried, for a poller or a receiver catching up), webhook endpoints with
their deliveries, and a person's email choices. Each write calls one service; a refusal comes
back as the service's `BusinessRuleError` (409 with its code)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.pagination import CursorPagination
from config.api.permissions import (
    READ,
    AgencyScope,
    ApiMethodsMixin,
    agency_scope,
    personal_scope,
)
from config.api.serializers import validated

from ..audience import Audience
from ..catalog import EVENT_TYPES, SUBSCRIBABLE
from ..choices import DeliveryStatus
from ..models import WebhookDelivery, WebhookEndpoint
from ..selectors import (
    email_choices_of,
    events_visible,
    webhook_deliveries_of,
    webhook_endpoints_of,
)
from ..services.email import email_subscriptions_set
from ..services.webhooks import (
    OWNER_ROLES,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from .filters import DeliveryFilter, EventFilter
from .serializers import (
    EmailChoiceInputSerializer,
    EmailSubscriptionSerializer,
    EventSerializer,
    EventTypeSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointPatchSerializer,
    WebhookEndpointSerializer,
)

CONTRACT_WIDE = frozenset(name for name, kind in EVENT_TYPES.items() if kind.contract_wide)


class EventTypeListView(ApiMethodsMixin, APIView):
    roles = {"GET": READ}

    @extend_schema(
        summary="The event types subscriptions can name, with their payload fields",
        responses={200: EventTypeSerializer(many=True)},
    )
    def get(self, request):
        """Every event type webhooks and email can subscribe to: what it means, whether it is
        contract-wide (never sent to agency coordinators), and its payload's fields."""
        body = [
            {
                "type": name,
                "label": EVENT_TYPES[name].label,
                "description": EVENT_TYPES[name].description,
                "contract_wide": EVENT_TYPES[name].contract_wide,
                "fields": dict(EVENT_TYPES[name].fields),
            }
            for name in SUBSCRIBABLE
        ]
        return Response(EventTypeSerializer(body, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Events, oldest first (a coordinator: their agencies', not contract-wide)"
    ),
    retrieve=extend_schema(summary="One event"),
)
class EventViewSet(ApiMethodsMixin, viewsets.ReadOnlyModelViewSet):
    """The outbox as a feed: each event with the payload a webhook owned by the caller would
    carry. `?after=<id>` lets a receiver that was down fetch what it missed."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    pagination_class = CursorPagination
    roles = {"list": READ, "retrieve": READ}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return events_visible(AgencyScope(frozenset()), CONTRACT_WIDE)
        return events_visible(agency_scope(self.request), CONTRACT_WIDE)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["audience"] = Audience(agency_scope(self.request), personal_scope(self.request))
        return context


DELIVERY_ID = OpenApiParameter(
    "delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The delivery's id."
)


@extend_schema_view(
    list=extend_schema(summary="Your webhook endpoints"),
    retrieve=extend_schema(summary="One of your webhook endpoints"),
)
class WebhookViewSet(ApiMethodsMixin, viewsets.GenericViewSet):
    """Webhook endpoints, each seen and managed by its owner only (another person's answers
    404). Messages follow the Standard Webhooks specification; see docs/notifications.md."""

    serializer_class = WebhookEndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head"]
    roles = {
        "list": OWNER_ROLES,
        "create": OWNER_ROLES,
        "retrieve": OWNER_ROLES,
        "partial_update": OWNER_ROLES,
        "destroy": OWNER_ROLES,
        "deliveries": OWNER_ROLES,
        "redeliver": OWNER_ROLES,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return webhook_endpoints_of(self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Register a webhook endpoint (the answer carries its secret, once)",
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def create(self, request):
        """The URL must be http(s) and resolve to public addresses only. The answer is the only
        place the signing secret (`whsec_…`) is ever shown."""
        data = validated(WebhookEndpointInputSerializer, request)
        endpoint = webhook_endpoint_create(
            owner=request.user,
            url=data["url"],
            event_types=data["events"],
            description=data["description"],
        )
        body = WebhookEndpointCreatedSerializer(endpoint).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook endpoint: URL, events, description, enabled",
        request=WebhookEndpointPatchSerializer,
        responses={200: WebhookEndpointSerializer},
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = validated(WebhookEndpointPatchSerializer, request)
        endpoint = webhook_endpoint_update(
            endpoint=endpoint,
            actor=request.user,
            url=data.get("url"),
            event_types=data.get("events"),
            description=data.get("description"),
            is_active=data.get("is_active"),
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(summary="Delete a webhook endpoint and its delivery record")
    def destroy(self, request, pk=None):
        webhook_endpoint_delete(endpoint=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The endpoint's deliveries, newest first",
        parameters=[
            OpenApiParameter(
                "status", str, enum=DeliveryStatus.values, description="Only these deliveries."
            ),
            OpenApiParameter("event", OpenApiTypes.INT, description="Event id."),
        ],
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        found = DeliveryFilter(request.query_params, queryset=webhook_deliveries_of(endpoint))
        if not found.is_valid():
            raise ValidationError(found.errors)
        deliveries = found.qs
        page = self.paginate_queryset(deliveries)
        body = WebhookDeliverySerializer(page, many=True).data
        return self.get_paginated_response(body)

    @extend_schema(
        summary="Send a delivery again, with the same webhook-id",
        parameters=[DELIVERY_ID],
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
        filter_backends=[],
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        """A fresh round of attempts for one delivery (delivered, failed, skipped, or pending
        and waiting for its retry). 409 while the endpoint is disabled or an attempt is in
        flight."""
        delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint=self.get_object())
        delivery = webhook_delivery_redeliver(delivery=delivery, actor=request.user)
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class EmailSubscriptionView(ApiMethodsMixin, APIView):
    roles = {"GET": READ, "POST": READ}

    @extend_schema(
        summary="Your email choices",
        responses={200: EmailSubscriptionSerializer(many=True)},
    )
    def get(self, request):
        """The event types you receive by email, each immediately or in the daily digest."""
        return Response(self._body(request.user))

    @extend_schema(
        summary="Choose how one event type reaches you by email",
        request=EmailChoiceInputSerializer,
        responses={200: EmailSubscriptionSerializer(many=True)},
    )
    def post(self, request):
        """`{"event_type", "mode": "immediate" | "digest" | "off"}`; answers all your choices.
        A coordinator may not choose a contract-wide type (409 `not_for_your_role`)."""
        data = validated(EmailChoiceInputSerializer, request)
        email_subscriptions_set(user=request.user, choices={data["event_type"]: data["mode"]})
        return Response(self._body(request.user))

    def _body(self, user) -> list[dict]:
        choices = email_choices_of(user)
        return EmailSubscriptionSerializer(
            [{"event_type": k, "mode": v} for k, v in sorted(choices.items())], many=True
        ).data
