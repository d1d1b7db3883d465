"""Query filters of the agencies API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from config.api.filters import IdFilter, StrictBooleanFilter, StrictFilterSet
from config.api.permissions import personal_scope

from ..choices import BargainingStatus, EmploymentStatus
from ..models import Agency, BargainingUnit, Employee


class AgencyFilter(StrictFilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact", help_text="Agency code, e.g. EOTSS.")
    parent = IdFilter(field_name="parent_id", help_text="Agencies under this secretariat (id).")
    is_active = StrictBooleanFilter()

    class Meta:
        model = Agency
        fields = ["code", "parent", "is_active"]


class BargainingUnitFilter(StrictFilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    union = django_filters.CharFilter(lookup_expr="iexact")
    bargaining_status = django_filters.ChoiceFilter(choices=BargainingStatus.choices)
    holds_seats = StrictBooleanFilter(method="filter_holds_seats")

    class Meta:
        model = BargainingUnit
        fields = ["code", "union", "bargaining_status", "holds_seats"]

    def filter_holds_seats(self, queryset, name, value):
        from ..choices import HOLDING_STATUSES

        holding = Q(bargaining_status__in=HOLDING_STATUSES)
        return queryset.filter(holding if value else ~holding)


class EmployeeFilter(StrictFilterSet):
    agency = IdFilter(field_name="agency_id", help_text="Agency id.")
    agency_code = django_filters.CharFilter(field_name="agency__code", lookup_expr="iexact")
    bargaining_unit = IdFilter(field_name="bargaining_unit_id", help_text="Bargaining unit id.")
    employee_number = django_filters.CharFilter()
    employment_status = django_filters.ChoiceFilter(choices=EmploymentStatus.choices)
    trained = StrictBooleanFilter(
        method="filter_trained", help_text="Completed training and acknowledged the policy."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Part of a name or email address. Refused (400) for callers who may not read "
        "personal fields.",
    )

    class Meta:
        model = Employee
        fields = [
            "agency",
            "agency_code",
            "bargaining_unit",
            "employee_number",
            "employment_status",
            "trained",
            "search",
        ]

    def filter_trained(self, queryset, name, value):
        trained = Q(training_completed_on__isnull=False, policy_acknowledged_on__isnull=False)
        return queryset.filter(trained if value else ~trained)

    def filter_search(self, queryset, name, value):
        scope = personal_scope(self.request)
        if scope.agency_ids is not None and not scope.agency_ids:
            # Searching by name would reveal the names the role may not read.
            raise ValidationError({"search": ["Your role may not search by personal fields."]})
        text = value.strip()
        match = (
            Q(first_name__icontains=text) | Q(last_name__icontains=text) | Q(email__icontains=text)
        )
        return scope.filter(queryset.filter(match))
