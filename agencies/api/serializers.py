"""Serializers of the agencies API: agencies, bargaining units and employees (read-only
resources fed by the roster import), and the bargaining-status change."""

from __future__ import annotations

from rest_framework import serializers

from config.api.permissions import personal_scope
from config.api.serializers import StrictSerializer

from ..choices import BargainingStatus
from ..models import Agency, BargainingUnit, Employee

# Hidden from callers outside the employee's personal scope (API readers; coordinators for other
# agencies never see the employee at all). docs/api.md lists them.
PERSONAL_FIELDS = ("email", "first_name", "last_name", "job_title")


class AgencySerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "parent_code",
            "headcount",
            "chargeback_code",
            "is_active",
        ]
        read_only_fields = fields


class BargainingUnitSerializer(serializers.ModelSerializer):
    holds_seats = serializers.BooleanField(
        read_only=True,
        help_text="True while the union has demanded to bargain, is bargaining or is at "
        "impasse: its members' seats are held.",
    )

    class Meta:
        model = BargainingUnit
        fields = [
            "id",
            "code",
            "name",
            "union",
            "bargaining_status",
            "status_changed_at",
            "holds_seats",
        ]
        read_only_fields = fields


class BargainingStatusInputSerializer(StrictSerializer):
    read_only_names = frozenset(BargainingUnitSerializer.Meta.fields)

    status = serializers.ChoiceField(choices=BargainingStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class EmployeeSerializer(serializers.ModelSerializer):
    """An employee as the roster has them. The personal fields (`email`, `first_name`,
    `last_name`, `job_title`) are left out for callers who may not read them."""

    agency_code = serializers.CharField(source="agency.code", read_only=True)
    bargaining_unit_code = serializers.CharField(
        source="bargaining_unit.code", read_only=True, allow_null=True
    )
    is_trained = serializers.BooleanField(
        read_only=True, help_text="Completed the AI training and acknowledged the use policy."
    )
    email = serializers.EmailField(
        required=False, help_text="Personal: omitted for the api_reader role."
    )
    first_name = serializers.CharField(
        required=False, help_text="Personal: omitted for the api_reader role."
    )
    last_name = serializers.CharField(
        required=False, help_text="Personal: omitted for the api_reader role."
    )
    job_title = serializers.CharField(
        required=False, help_text="Personal: omitted for the api_reader role."
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_number",
            "email",
            "first_name",
            "last_name",
            "job_title",
            "agency",
            "agency_code",
            "bargaining_unit",
            "bargaining_unit_code",
            "employment_status",
            "training_completed_on",
            "policy_acknowledged_on",
            "is_trained",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f not in PERSONAL_FIELDS]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not personal_scope(request).allows(instance.agency_id):
            for name in PERSONAL_FIELDS:
                data.pop(name, None)
        return data
