"""Endpoints of the licensing API: contracts with their cost, billing lines and forecast; seats
with their lifecycle actions; seat events and usage days (read-only); seat counts for pollers.
Each write calls one service; a refusal comes back as the service's `BusinessRuleError` (409)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.etag import etag_matches, make_etag, not_modified, with_validators
from config.api.pagination import CursorPagination
from config.api.permissions import (
    BILLING,
    FORECAST,
    MANAGE,
    READ,
    READ_FIGURES,
    REQUEST_SEATS,
    AgencyScopedMixin,
    ApiMethodsMixin,
    agency_scope,
)
from config.api.serializers import validated

from ..models import BillingPeriod, Contract, Seat, SeatEvent, UsageDay
from ..services.cost import (
    billing_period_mark,
    billing_period_undo_paid,
    contract_cost_answer,
    contract_forecast,
    today,
)
from ..services.seats import (
    seat_activate,
    seat_approve,
    seat_reactivate,
    seat_request,
    seat_revoke,
    seat_suspend,
)
from .filters import ContractFilter, SeatEventFilter, SeatFilter, UsageDayFilter
from .selectors import seat_counts, seat_counts_contract
from .serializers import (
    AsOfQuerySerializer,
    BillingMarkInputSerializer,
    BillingPeriodSerializer,
    BillingUndoInputSerializer,
    ContractSerializer,
    CostAnswerSerializer,
    ForecastInputSerializer,
    ForecastReportSerializer,
    SeatActionInputSerializer,
    SeatActivateInputSerializer,
    SeatCountsQuerySerializer,
    SeatCountsSerializer,
    SeatEventSerializer,
    SeatRequestInputSerializer,
    SeatSerializer,
    UsageDaySerializer,
)

# --- contracts -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List contracts"),
    retrieve=extend_schema(summary="One contract, with its price tiers"),
)
class ContractViewSet(ApiMethodsMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    queryset = Contract.objects.prefetch_related("tiers").order_by("start_date", "id")
    throttle_scope = None
    roles = {
        "list": READ,
        "retrieve": READ,
        "cost": READ_FIGURES,
        "periods": READ_FIGURES,
        "mark_period": BILLING,
        "undo_paid": BILLING,
        "forecast": FORECAST,
    }

    @extend_schema(
        summary="The contract's cost as of a day",
        parameters=[AsOfQuerySerializer],
        responses={200: CostAnswerSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def cost(self, request, pk=None):
        """Spend to date, projection, band position, headroom, chargeback and tier cliff, as
        `recompute_costs --json` prints them, with `computed_at`, `stale` (an input changed
        since) and `eligible_employees`. Without `as_of` the latest snapshot answers; a stale
        one is recomputed at once on a setup without a broker, and otherwise served marked
        stale while the recompute it asks for runs. With `as_of` the report is computed."""
        contract = self.get_object()
        as_of = validated(AsOfQuerySerializer, request, data=request.query_params).get("as_of")
        return Response(contract_cost_answer(contract=contract, as_of=as_of))

    @extend_schema(
        summary="The contract's closed billing lines",
        responses={200: BillingPeriodSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def periods(self, request, pk=None):
        """One line per closed billing period (billable persons, charged seats, unit price or
        "graduated", amount, the part booked to the central fund, a one-line explanation,
        status), written by the first recompute that sees the period over; finance marks them
        invoiced and paid."""
        contract = self.get_object()
        lines = BillingPeriod.objects.filter(contract=contract).select_related("status_changed_by")
        return Response(BillingPeriodSerializer(lines.order_by("start"), many=True).data)

    @extend_schema(
        summary="Mark a billing line invoiced or paid",
        parameters=[
            OpenApiParameter(
                "period_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Line id."
            )
        ],
        request=BillingMarkInputSerializer,
        responses={200: BillingPeriodSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"periods/(?P<period_id>[^/.]+)/mark",
        filter_backends=[],
    )
    def mark_period(self, request, pk=None, period_id=None):
        contract = self.get_object()
        line = get_object_or_404(BillingPeriod, pk=period_id, contract=contract)
        data = validated(BillingMarkInputSerializer, request)
        line = billing_period_mark(line=line, status=data["status"], actor=request.user)
        return Response(BillingPeriodSerializer(line).data)

    @extend_schema(
        summary='Undo a mistaken "paid" mark on the day it was made',
        parameters=[
            OpenApiParameter(
                "period_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Line id."
            )
        ],
        request=BillingUndoInputSerializer,
        responses={200: BillingPeriodSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"periods/(?P<period_id>[^/.]+)/undo-paid",
        filter_backends=[],
    )
    def undo_paid(self, request, pk=None, period_id=None):
        """The line returns to the status it had before it was marked paid; the undo is
        recorded with its reason. Refused (409 `undo_too_late`) after the day of the mark."""
        contract = self.get_object()
        line = get_object_or_404(BillingPeriod, pk=period_id, contract=contract)
        data = validated(BillingUndoInputSerializer, request)
        line = billing_period_undo_paid(line=line, actor=request.user, reason=data["reason"])
        return Response(BillingPeriodSerializer(line).data)

    @extend_schema(
        summary="What-if: the cost curve under a changed plan (writes nothing)",
        request=ForecastInputSerializer,
        responses={200: ForecastReportSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], throttle_scope="forecast")
    def forecast(self, request, pk=None):
        """Shift a wave's onboarding dates, change a cohort's quota or cancel a wave, and see
        the per-period curve and the first period that reaches the floor or breaks the
        ceiling. The seat history stays as it is; nothing is stored."""
        contract = self.get_object()
        data = validated(ForecastInputSerializer, request, contract=contract)
        report = contract_forecast(
            contract=contract, changes=data["changes"], as_of=data.get("as_of")
        )
        return Response({**report.as_json(), "crossings": report.crossings_json()})


# --- seats ---------------------------------------------------------------------------------------

SEAT_ACTIONS = {
    "approve": "Approve a requested seat",
    "activate": "Activate a requested or approved seat",
    "suspend": "Suspend an active seat",
    "reactivate": "Reactivate a suspended seat",
    "revoke": "Revoke a seat for good",
}


def _seat_action(name: str, service, input_serializer):
    def act(self, request, pk=None):
        seat = self.get_object()
        data = validated(input_serializer, request)
        seat = service(seat=seat, actor=request.user, **data)
        return Response(SeatSerializer(self.get_queryset().get(pk=seat.pk)).data)

    act.__name__ = name
    act.__doc__ = service.__doc__
    # extend_schema goes on top of action, or drf-spectacular drops the request body.
    routed = action(detail=True, methods=["post"], url_path=name, filter_backends=[])(act)
    return extend_schema(
        summary=SEAT_ACTIONS[name], request=input_serializer, responses={200: SeatSerializer}
    )(routed)


@extend_schema_view(
    list=extend_schema(summary="List seats (a coordinator sees only their agencies')"),
    retrieve=extend_schema(summary="One seat"),
    create=extend_schema(
        summary="Request a seat for an employee",
        request=SeatRequestInputSerializer,
        responses={201: SeatSerializer},
    ),
)
class SeatViewSet(AgencyScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SeatSerializer
    filterset_class = SeatFilter
    pagination_class = CursorPagination
    roles = {
        "list": READ,
        "retrieve": READ,
        "create": REQUEST_SEATS,
        **{name: MANAGE for name in SEAT_ACTIONS},
    }

    def get_queryset(self):
        seats = Seat.objects.select_related("employee", "agency", "provisioning")
        return self.scoped(seats.order_by("id"))

    def create(self, request):
        """A member of a unit that is bargaining gets a `held` seat; an employee who already
        has an open seat under the contract is refused (409 `seat_exists`)."""
        data = validated(SeatRequestInputSerializer, request)
        seat = seat_request(
            employee=data["employee"],
            contract=data["contract"],
            cohort=data.get("cohort"),
            actor=request.user,
            reason=data["reason"],
        )
        body = SeatSerializer(
            Seat.objects.select_related("employee", "agency", "provisioning").get(pk=seat.pk)
        )
        location = reverse("seat-detail", kwargs={"pk": seat.pk})
        return Response(body.data, status=status.HTTP_201_CREATED, headers={"Location": location})

    approve = _seat_action("approve", seat_approve, SeatActionInputSerializer)
    activate = _seat_action("activate", seat_activate, SeatActivateInputSerializer)
    suspend = _seat_action("suspend", seat_suspend, SeatActionInputSerializer)
    reactivate = _seat_action("reactivate", seat_reactivate, SeatActivateInputSerializer)
    revoke = _seat_action("revoke", seat_revoke, SeatActionInputSerializer)


@extend_schema_view(
    list=extend_schema(summary="List seat events, oldest first"),
    retrieve=extend_schema(summary="One seat event"),
)
class SeatEventViewSet(AgencyScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The append-only log of seat status changes."""

    serializer_class = SeatEventSerializer
    filterset_class = SeatEventFilter
    pagination_class = CursorPagination
    scope_path = "agency"  # the event's copy of its seat's agency: no join to scope a list
    roles = {"list": READ, "retrieve": READ}

    def get_queryset(self):
        return self.scoped(SeatEvent.objects.select_related("actor").order_by("id"))


@extend_schema_view(
    list=extend_schema(summary="List usage days"),
    retrieve=extend_schema(summary="One usage day"),
)
class UsageDayViewSet(AgencyScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Days on which a seat's user sent messages, from the vendor's activity export."""

    serializer_class = UsageDaySerializer
    filterset_class = UsageDayFilter
    pagination_class = CursorPagination
    scope_path = "seat__agency"
    roles = {"list": READ, "retrieve": READ}

    def get_queryset(self):
        return self.scoped(UsageDay.objects.order_by("id"))


# --- seat counts ---------------------------------------------------------------------------------


class SeatCountsView(ApiMethodsMixin, APIView):
    """Seats by status, grouped, for dashboards that poll. Send the last `ETag` back in
    `If-None-Match`: an unchanged answer is a 304 that costs one small query."""

    roles = {"GET": READ}
    throttle_scope = "seat_counts"

    @extend_schema(
        summary="Seat counts by agency, wave, cohort, status or bargaining unit",
        operation_id="seat_counts",
        tags=["seat-counts"],
        parameters=[
            SeatCountsQuerySerializer,
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of an earlier answer: 304 if nothing changed since.",
            ),
            OpenApiParameter(
                "ETag",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200, 304],
                description="Changes as soon as a seat is requested or changes status.",
            ),
            OpenApiParameter(
                "Last-Modified",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200, 304],
                description="When a seat last changed: the newest seat event's time (absent "
                "before the first).",
            ),
        ],
        responses={
            200: SeatCountsSerializer,
            304: OpenApiResponse(description="Not modified: the counts are the ones you hold."),
        },
    )
    def get(self, request):
        """Counts per group of `requested`, `held`, `approved`, `active`, `suspended` and
        `revoked` seats, with the agency's `headcount` (by agency) or the `quota` (by wave or
        cohort). A coordinator counts only their agencies' seats."""
        params = SeatCountsQuerySerializer.parse(request.query_params)
        group_by, as_of = params["group_by"], params.get("as_of")
        found = seat_counts_contract(contract_id=params.get("contract"), group_by=group_by)
        if len(found) != 1:
            message = (
                "No contract with this id."
                if params.get("contract") is not None
                else "Name the contract: there is not exactly one active contract."
            )
            raise serializers.ValidationError({"contract": [message]})
        fingerprint = found[0]
        scope = agency_scope(request)
        day = as_of or today()
        etag = make_etag(
            "seat-counts/1",
            fingerprint.contract_id,
            group_by,
            day.isoformat(),
            day >= today(),
            scope.key,
            *fingerprint.parts,
        )
        if etag_matches(request, etag):
            return not_modified(etag, fingerprint.last_modified)
        body = seat_counts(
            contract_id=fingerprint.contract_id, group_by=group_by, as_of=as_of, scope=scope
        )
        return with_validators(Response(body), etag, fingerprint.last_modified)
