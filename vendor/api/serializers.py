"""Serializers of the vendor API: a seat's provisioning state (part of every seat the API
serves) and the reconciliation report."""

from __future__ import annotations

from rest_framework import serializers

from ..choices import Operation, ProvisioningState


class SeatProvisioningSerializer(serializers.Serializer):
    """Where the vendor's workspace stands for a seat. `null` on a seat when its contract is
    not connected to a vendor, or the seat never needed anything there (requested, held)."""

    state = serializers.ChoiceField(
        choices=ProvisioningState.choices,
        help_text="`pending`: Seatplan has yet to bring the vendor in line (queued, retrying "
        "after a failure, or waiting for the vendor to come back); `provisioned`: the vendor "
        "holds what the seat's status asks; `failed`: the vendor refused, see `detail`.",
    )
    detail = serializers.CharField(
        help_text="The vendor's message on a failure or a retry; otherwise what was done."
    )
    operation = serializers.ChoiceField(
        choices=Operation.choices, allow_blank=True, help_text="What the last push asked."
    )
    attempts = serializers.IntegerField(help_text="Failed tries since the last change.")
    next_attempt_at = serializers.DateTimeField(
        help_text="When a pending seat is tried next (at the earliest)."
    )
    provisioned_at = serializers.DateTimeField(allow_null=True)
    vendor_user_id = serializers.CharField(help_text="The user's id in the vendor; empty if none.")
    vendor_active = serializers.BooleanField(
        allow_null=True, help_text="Whether the vendor's user is active; null when there is none."
    )
    updated_at = serializers.DateTimeField()


class ReconciliationEntrySerializer(serializers.Serializer):
    # The SCIM attribute's own name, as the report's JSON has it.
    userName = serializers.CharField()
    employee_number = serializers.CharField(allow_null=True)
    seat = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField()


class ReconciliationSerializer(serializers.Serializer):
    """The vendor's users against Seatplan's seats, as `reconcile_vendor --json` prints it."""

    contract = serializers.IntegerField()
    checked_at = serializers.DateTimeField()
    vendor_users = serializers.IntegerField(help_text="Users the vendor listed.")
    active_seats = serializers.IntegerField(help_text="Seats active in Seatplan.")
    in_vendor_not_active = ReconciliationEntrySerializer(
        many=True,
        help_text="Shadow members: active in the vendor with no open seat in Seatplan.",
    )
    active_not_in_vendor = ReconciliationEntrySerializer(
        many=True, help_text="Active seats whose person has no user in the vendor."
    )
    mismatched = ReconciliationEntrySerializer(
        many=True, help_text="On both sides, active in one and not in the other."
    )
    monthly_cost_at_risk = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="The shadow members at the contract's current unit price, per month (USD).",
    )
