"""Query filters of the rollout API."""

from __future__ import annotations

import django_filters

from config.api.filters import IdFilter, StrictFilterSet

from ..choices import CohortStatus, WaveStatus
from ..models import Cohort, Wave


class WaveFilter(StrictFilterSet):
    contract = IdFilter(field_name="contract_id", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=WaveStatus.choices)
    number = IdFilter(field_name="number", help_text="Wave number within its contract.")

    class Meta:
        model = Wave
        fields = ["contract", "status", "number"]


class CohortFilter(StrictFilterSet):
    wave = IdFilter(field_name="wave_id", help_text="Wave id.")
    contract = IdFilter(field_name="wave__contract_id", help_text="Contract id.")
    agency = IdFilter(field_name="agency_id", help_text="Agency id.")
    agency_code = django_filters.CharFilter(field_name="agency__code", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=CohortStatus.choices)

    class Meta:
        model = Cohort
        fields = ["wave", "contract", "agency", "agency_code", "status"]
