"""Query filters of the licensing API."""

from __future__ import annotations

import datetime as dt

import django_filters

from config.api.filters import DayFilter, IdFilter, StrictBooleanFilter, StrictFilterSet

from ..choices import SeatStatus
from ..models import Contract, Seat, SeatEvent, UsageDay
from ..selectors import day_start


class ContractFilter(StrictFilterSet):
    number = django_filters.CharFilter(lookup_expr="iexact")
    is_active = StrictBooleanFilter()

    class Meta:
        model = Contract
        fields = ["number", "is_active"]


class SeatFilter(StrictFilterSet):
    contract = IdFilter(field_name="contract_id", help_text="Contract id.")
    employee = IdFilter(field_name="employee_id", help_text="Employee id.")
    employee_number = django_filters.CharFilter(field_name="employee__employee_number")
    agency = IdFilter(field_name="agency_id", help_text="Agency id.")
    agency_code = django_filters.CharFilter(field_name="agency__code", lookup_expr="iexact")
    cohort = IdFilter(field_name="cohort_id", help_text="Cohort id.")
    wave = IdFilter(field_name="cohort__wave_id", help_text="Wave id.")
    status = django_filters.ChoiceFilter(choices=SeatStatus.choices)

    class Meta:
        model = Seat
        fields = [
            "contract",
            "employee",
            "employee_number",
            "agency",
            "agency_code",
            "cohort",
            "wave",
            "status",
        ]


class SeatEventFilter(StrictFilterSet):
    seat = IdFilter(field_name="seat_id", help_text="Seat id.")
    contract = IdFilter(field_name="contract_id", help_text="Contract id.")
    to_status = django_filters.ChoiceFilter(choices=SeatStatus.choices)
    since = DayFilter(method="filter_since", help_text="Events on or after this day (local time).")
    until = DayFilter(method="filter_until", help_text="Events on or before this day (local).")

    class Meta:
        model = SeatEvent
        fields = ["seat", "contract", "to_status", "since", "until"]

    def filter_since(self, queryset, name, value):
        return queryset.filter(at__gte=day_start(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(at__lt=day_start(value + dt.timedelta(days=1)))


class UsageDayFilter(StrictFilterSet):
    seat = IdFilter(field_name="seat_id", help_text="Seat id.")
    contract = IdFilter(field_name="seat__contract_id", help_text="Contract id.")
    since = DayFilter(field_name="date", lookup_expr="gte", help_text="On or after this day.")
    until = DayFilter(field_name="date", lookup_expr="lte", help_text="On or before this day.")

    class Meta:
        model = UsageDay
        fields = ["seat", "contract", "since", "until"]
