"""Endpoints of the agencies API. Agencies and employees are read-only here (the roster import
writes them) and scoped to the caller's agencies; a bargaining unit's status changes through
`bargaining_unit_set_status`, which holds or releases its members' seats."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.pagination import CursorPagination
from config.api.permissions import MANAGE, READ, AgencyScopedMixin, ApiMethodsMixin
from config.api.serializers import validated

from ..models import Agency, BargainingUnit, Employee
from ..services import bargaining_unit_set_status
from .filters import AgencyFilter, BargainingUnitFilter, EmployeeFilter
from .serializers import (
    AgencySerializer,
    BargainingStatusInputSerializer,
    BargainingUnitSerializer,
    EmployeeSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List agencies (a coordinator sees only their own)"),
    retrieve=extend_schema(summary="One agency"),
)
class AgencyViewSet(AgencyScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    scope_path = "id"
    roles = {"list": READ, "retrieve": READ}

    def get_queryset(self):
        return self.scoped(Agency.objects.select_related("parent").order_by("code", "id"))


@extend_schema_view(
    list=extend_schema(summary="List bargaining units"),
    retrieve=extend_schema(summary="One bargaining unit"),
)
class BargainingUnitViewSet(ApiMethodsMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = BargainingUnitSerializer
    filterset_class = BargainingUnitFilter
    queryset = BargainingUnit.objects.order_by("code", "id")
    roles = {"list": READ, "retrieve": READ, "set_status": MANAGE}

    @extend_schema(
        summary="Record where the union stands (holds or releases its members' seats)",
        request=BargainingStatusInputSerializer,
        responses={200: BargainingUnitSerializer},
    )
    @action(detail=True, methods=["post"], url_path="set-status")
    def set_status(self, request, pk=None):
        """Entering `demand_filed`, `bargaining` or `impasse` holds the members' requested and
        approved seats; `agreement` or `none` releases held seats back to `requested`."""
        unit = self.get_object()
        data = validated(BargainingStatusInputSerializer, request)
        unit = bargaining_unit_set_status(
            unit=unit, status=data["status"], actor=request.user, reason=data["reason"]
        )
        return Response(BargainingUnitSerializer(unit, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="List employees (a coordinator sees only their agencies')"),
    retrieve=extend_schema(summary="One employee"),
)
class EmployeeViewSet(AgencyScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    pagination_class = CursorPagination
    roles = {"list": READ, "retrieve": READ}

    def get_queryset(self):
        return self.scoped(
            Employee.objects.select_related("agency", "bargaining_unit").order_by("id")
        )
