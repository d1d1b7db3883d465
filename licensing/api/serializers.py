"""Serializers of the licensing API: contracts, seats and their events, usage days, billing
lines, the cost report and forecast, and seat counts."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from agencies.models import Employee
from config.api.permissions import personal_scope, seat_request_scope
from config.api.serializers import (
    IdField,
    QuerySerializer,
    ReasonSerializer,
    StrictDateField,
    StrictSerializer,
)
from rollout.models import Cohort, Wave
from vendor.api.serializers import SeatProvisioningSerializer

from ..choices import BillingLineStatus, SeatStatus
from ..cost_report import price_text
from ..forecast import CancelWave, SetQuota, ShiftWave
from ..models import BillingPeriod, Contract, PriceTier, Seat, SeatEvent, UsageDay
from .selectors import GROUPS

MONEY_HELP = "US dollars as a string with two decimals."
PERIOD_KIND_CHOICES = [("actual", "In spend to date"), ("projected", "After as_of")]


class PriceTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceTier
        fields = ["min_seats", "max_seats", "unit_price_monthly"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    tiers = PriceTierSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "name",
            "vendor",
            "reseller",
            "number",
            "start_date",
            "end_date",
            "floor_amount",
            "ceiling_amount",
            "min_billable_seats",
            "tier_mode",
            "billing_basis",
            "shortfall_allocation",
            "tiers",
            "requires_training",
            "readiness_threshold",
            "idle_days",
            "reclaim_grace_days",
            "is_active",
        ]
        read_only_fields = fields


# --- seats ---------------------------------------------------------------------------------------


class SeatSerializer(serializers.ModelSerializer):
    employee_number = serializers.CharField(source="employee.employee_number", read_only=True)
    agency_code = serializers.CharField(source="agency.code", read_only=True)
    provisioning = SeatProvisioningSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Seat
        fields = [
            "id",
            "contract",
            "employee",
            "employee_number",
            "agency",
            "agency_code",
            "cohort",
            "status",
            "status_changed_at",
            "activated_at",
            "ended_at",
            "last_active_at",
            "created_at",
            "updated_at",
            "provisioning",
        ]
        read_only_fields = fields


class SeatRequestInputSerializer(StrictSerializer):
    """Ask for a seat for an employee. A coordinator may ask only for their agencies' people;
    anyone else's id answers as if it did not exist."""

    read_only_names = frozenset(SeatSerializer.Meta.fields)

    employee = IdField(queryset=Employee.objects.none())
    contract = IdField(queryset=Contract.objects.filter(is_active=True))
    cohort = IdField(
        queryset=Cohort.objects.select_related("wave"),
        required=False,
        allow_null=True,
        help_text="The cohort the seat belongs to; it must be the employee's agency's cohort "
        "in a wave of the contract. Left out, activation finds it.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            employees = Employee.objects.select_related("bargaining_unit", "agency")
            self.fields["employee"].queryset = seat_request_scope(request).filter(employees)

    def validate(self, data):
        cohort = data.get("cohort")
        if cohort is not None:
            if cohort.wave.contract_id != data["contract"].pk:
                raise serializers.ValidationError(
                    {"cohort": ["This cohort belongs to another contract's wave."]}
                )
            if cohort.agency_id != data["employee"].agency_id:
                raise serializers.ValidationError(
                    {"cohort": ["This cohort is another agency's, not the employee's."]}
                )
        return data


class SeatActionInputSerializer(ReasonSerializer):
    read_only_names = frozenset(SeatSerializer.Meta.fields)


class SeatActivateInputSerializer(SeatActionInputSerializer):
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Activate despite a bargaining hold; a rollout manager only, with a reason.",
    )


class SeatEventSerializer(serializers.ModelSerializer):
    """One status change of a seat. `actor` and `reason` (who did it and the free-text why) are
    left out for callers who may not read personal fields."""

    from_status = serializers.ChoiceField(
        choices=SeatStatus.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty on a seat's first event.",
    )
    actor = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        required=False,
        help_text="Personal: omitted for the api_reader role.",
    )
    reason = serializers.CharField(
        required=False, help_text="Personal: omitted for the api_reader role."
    )

    class Meta:
        model = SeatEvent
        fields = ["id", "seat", "from_status", "to_status", "at", "actor", "reason", "job"]
        read_only_fields = ["id", "seat", "from_status", "to_status", "at", "job"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        agency_id = getattr(instance, "agency_id", None)
        if request is not None and not personal_scope(request).allows(agency_id):
            data.pop("actor", None)
            data.pop("reason", None)
        return data


class UsageDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageDay
        fields = ["id", "seat", "date", "messages"]
        read_only_fields = fields


# --- billing lines, cost, forecast ---------------------------------------------------------------


class BillingPeriodSerializer(serializers.ModelSerializer):
    status_changed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    unit_price = serializers.SerializerMethodField(
        help_text='The unit price charged (volume), or "graduated".'
    )

    class Meta:
        model = BillingPeriod
        fields = [
            "id",
            "contract",
            "start",
            "end",
            "billable_persons",
            "charged_seats",
            "unit_price",
            "amount",
            "unallocated_amount",
            "explanation",
            "status",
            "status_changed_by",
            "status_changed_at",
        ]
        read_only_fields = fields

    def get_unit_price(self, line: BillingPeriod) -> str:
        return price_text(line.unit_price)


class BillingMarkInputSerializer(StrictSerializer):
    read_only_names = frozenset(BillingPeriodSerializer.Meta.fields)

    status = serializers.ChoiceField(
        choices=BillingLineStatus.choices,
        help_text="`invoiced` or `paid`; a line only moves forward.",
    )


class BillingUndoInputSerializer(StrictSerializer):
    read_only_names = frozenset(BillingPeriodSerializer.Meta.fields)

    reason = serializers.CharField(
        max_length=2000,
        help_text="Why the payment mark was a mistake; recorded with the undo.",
    )


class AsOfQuerySerializer(QuerySerializer):
    as_of = StrictDateField(
        required=False, help_text="The day the figures stand at the end of (default today)."
    )


class AgencyChargeSerializer(serializers.Serializer):
    agency = serializers.CharField(
        allow_null=True, help_text="Agency code; null: unallocated (the central fund)."
    )
    amount = serializers.CharField(help_text=MONEY_HELP)


class CostPeriodSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="0 for the first period of the term.")
    start = serializers.DateField()
    end = serializers.DateField()
    kind = serializers.ChoiceField(
        choices=PERIOD_KIND_CHOICES,
        help_text="`actual`: in spend to date; `projected`: after as_of.",
    )
    billable_seats = serializers.IntegerField(
        help_text="Seats billable in the period (a replacement seat counts again); projected: "
        "active at as_of plus planned."
    )
    billable_persons = serializers.IntegerField(
        help_text="Persons billable in the period, each once: the count the charge prices."
    )
    charged_seats = serializers.IntegerField(help_text="max(billable persons, the minimum).")
    unit_price = serializers.CharField(help_text='The volume unit price, or "graduated".')
    amount = serializers.CharField(help_text=MONEY_HELP)
    allocated = serializers.CharField(help_text="Charged to agencies. " + MONEY_HELP)
    unallocated = serializers.CharField(help_text="Booked to the central fund. " + MONEY_HELP)
    by_agency = AgencyChargeSerializer(many=True, help_text="Actual periods only.")


class TierCliffSerializer(serializers.Serializer):
    period_start = serializers.DateField(help_text="The first period within reach.")
    period_end = serializers.DateField()
    planned_seats = serializers.IntegerField(help_text="Its planned count.")
    seats_to_next_tier = serializers.IntegerField()
    period_amount_now = serializers.CharField(help_text=MONEY_HELP)
    period_amount_at_next_tier = serializers.CharField(help_text=MONEY_HELP)
    projected_total_change = serializers.CharField(
        help_text="Those seats kept to the end of the term; negative: the total falls."
    )
    projected_total_at_next_tier = serializers.CharField(help_text=MONEY_HELP)


class CostReportSerializer(serializers.Serializer):
    """The contract's cost as of the end of a day (cost rules 4–10, docs/cost-engine.md), exactly as
    `manage.py recompute_costs --json` prints it."""

    contract = serializers.IntegerField()
    as_of = serializers.DateField()
    billing_basis = serializers.CharField()
    tier_mode = serializers.CharField()
    min_billable_seats = serializers.IntegerField()
    shortfall_allocation = serializers.CharField()
    active_seats = serializers.IntegerField()
    billable_seats_this_period = serializers.IntegerField()
    billable_persons_this_period = serializers.IntegerField()
    spend_to_date = serializers.CharField(help_text=MONEY_HELP)
    projected_total = serializers.CharField(help_text=MONEY_HELP)
    committed_total = serializers.CharField(help_text=MONEY_HELP)
    floor_amount = serializers.CharField(help_text=MONEY_HELP)
    ceiling_amount = serializers.CharField(help_text=MONEY_HELP)
    below_floor = serializers.BooleanField()
    over_ceiling = serializers.BooleanField()
    headroom_seats = serializers.IntegerField(
        allow_null=True, help_text="Null: no number of seats can reach the ceiling."
    )
    headroom_current_count = serializers.IntegerField(
        allow_null=True,
        help_text="The count the headroom prices the current period at (engaged: engaged so "
        "far or holding an active seat); null outside the term.",
    )
    unallocated_to_date = serializers.CharField(help_text=MONEY_HELP)
    periods = CostPeriodSerializer(many=True)
    by_agency = AgencyChargeSerializer(many=True)
    tier_cliff = TierCliffSerializer(allow_null=True)


class CostAnswerSerializer(CostReportSerializer):
    """The cost endpoint's answer: the report, and how current it is."""

    computed_at = serializers.DateTimeField(help_text="When these figures were computed.")
    stale = serializers.BooleanField(
        help_text="True when an input changed since (a recompute has been asked for)."
    )
    inputs_fingerprint = serializers.CharField(
        help_text="Fingerprint of the inputs the figures came from (empty for a past as_of)."
    )
    eligible_employees = serializers.IntegerField(
        help_text="Employees not separated and without an active seat under the contract."
    )


class CrossingsSerializer(serializers.Serializer):
    floor = serializers.DateField(
        allow_null=True, help_text="Start of the period whose charge brings the total to the floor."
    )
    ceiling = serializers.DateField(
        allow_null=True,
        help_text="Start of the period whose charge takes the total over the ceiling.",
    )


class ForecastReportSerializer(CostReportSerializer):
    crossings = CrossingsSerializer()


class _ChangeSerializer(StrictSerializer):
    type = serializers.CharField()


class ShiftWaveSerializer(_ChangeSerializer):
    wave = IdField(queryset=Wave.objects.none())
    days = serializers.IntegerField(
        min_value=-3660, max_value=3660, help_text="Days to move its cohorts' onboarding dates."
    )


class SetQuotaSerializer(_ChangeSerializer):
    cohort = IdField(queryset=Cohort.objects.none())
    seat_quota = serializers.IntegerField(min_value=0, max_value=10_000_000)


class CancelWaveSerializer(_ChangeSerializer):
    wave = IdField(queryset=Wave.objects.none())


CHANGE_SERIALIZERS = {
    "shift_wave": ShiftWaveSerializer,
    "set_quota": SetQuotaSerializer,
    "cancel_wave": CancelWaveSerializer,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="ForecastChange",
        serializers=CHANGE_SERIALIZERS,
        resource_type_field_name="type",
    )
)
class ForecastChangeField(serializers.Field):
    """One change of the plan, by its `type`; wave and cohort ids must be the contract's."""

    default_error_messages = {
        "not_object": "Each change must be an object.",
        "type": "Unknown change type {value!r}; use shift_wave, set_quota or cancel_wave.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_object")
        kind = data.get("type")
        if not isinstance(kind, str) or kind not in CHANGE_SERIALIZERS:
            raise serializers.ValidationError(
                {"type": [self.error_messages["type"].format(value=kind)]}
            )
        contract = self.context["contract"]
        serializer = CHANGE_SERIALIZERS[kind](data=data, context=self.context)
        if "wave" in serializer.fields:
            serializer.fields["wave"].queryset = Wave.objects.filter(contract=contract)
        if "cohort" in serializer.fields:
            serializer.fields["cohort"].queryset = Cohort.objects.filter(wave__contract=contract)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if kind == "shift_wave":
            return ShiftWave(wave_id=v["wave"].pk, days=v["days"])
        if kind == "set_quota":
            return SetQuota(cohort_id=v["cohort"].pk, seat_quota=v["seat_quota"])
        return CancelWave(wave_id=v["wave"].pk)

    def to_representation(self, value):  # pragma: no cover - input only
        return value


class ForecastInputSerializer(StrictSerializer):
    as_of = StrictDateField(required=False, help_text="Default today.")
    changes = serializers.ListField(
        child=ForecastChangeField(),
        required=False,
        default=list,
        max_length=100,
        help_text="Applied in order to the open cohorts of the plan; the seat history stays.",
    )


# --- seat counts ---------------------------------------------------------------------------------


class SeatCountsQuerySerializer(QuerySerializer):
    contract = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Contract id; may be left out while exactly one contract is active.",
    )
    group_by = serializers.ChoiceField(choices=GROUPS, required=False, default="agency")
    as_of = StrictDateField(
        required=False,
        help_text="Counts as of the end of this day, from the seat event history; default now. "
        "A day from today on counts the seats as they stand.",
    )


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "integer"}],
        "nullable": True,
        "description": "agency and bargaining_unit: the code; wave and cohort: the id; status: "
        "the status; null: seats outside any wave, cohort or unit.",
    }
)
class _KeyField(serializers.Field):
    def to_representation(self, value):
        return value


class _CountsSerializer(serializers.Serializer):
    requested = serializers.IntegerField()
    held = serializers.IntegerField()
    approved = serializers.IntegerField()
    active = serializers.IntegerField()
    suspended = serializers.IntegerField()
    revoked = serializers.IntegerField()
    headcount = serializers.IntegerField(required=False, help_text="group_by=agency only.")
    quota = serializers.IntegerField(required=False, help_text="group_by=cohort or wave only.")


class SeatCountRowSerializer(_CountsSerializer):
    key = _KeyField()
    label = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        return {"key": fields.pop("key"), "label": fields.pop("label"), **fields}


class SeatCountsSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    as_of = serializers.DateField()
    group_by = serializers.ChoiceField(choices=GROUPS)
    results = SeatCountRowSerializer(many=True)
    totals = _CountsSerializer()
