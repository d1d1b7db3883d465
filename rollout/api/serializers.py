"""Serializers of the rollout API: waves, cohorts, their readiness and the activation jobs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import ReasonSerializer, StrictSerializer
from core.models import Job

from ..choices import SIGNED_GATES, GateKind
from ..models import Cohort, Wave, WaveEvent
from ..selectors import wave_last_change

# The gates a person signs off (training readiness is computed, never signed).
SIGNED_GATE_CHOICES = [(k.value, k.label) for k in SIGNED_GATES]


class WaveChangeSerializer(serializers.ModelSerializer):
    """One recorded status change of a wave."""

    by = serializers.SlugRelatedField(
        source="actor",
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who made it; null for a job (which may only pause).",
    )

    class Meta:
        model = WaveEvent
        fields = ["from_status", "to_status", "at", "by", "reason"]
        read_only_fields = fields


class WaveSerializer(serializers.ModelSerializer):
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    last_change = serializers.SerializerMethodField(
        help_text="The wave's latest status change: who moved it, when and why (null before any)."
    )

    class Meta:
        model = Wave
        fields = [
            "id",
            "contract",
            "number",
            "name",
            "status",
            "planned_start",
            "planned_end",
            "approved_by",
            "approved_at",
            "last_change",
        ]
        read_only_fields = fields

    @extend_schema_field(WaveChangeSerializer(allow_null=True))
    def get_last_change(self, wave: Wave) -> dict | None:
        change = wave_last_change(wave)
        return WaveChangeSerializer(change).data if change else None


class WaveActionInputSerializer(ReasonSerializer):
    read_only_names = frozenset(WaveSerializer.Meta.fields)


class CohortSerializer(serializers.ModelSerializer):
    wave_number = serializers.IntegerField(source="wave.number", read_only=True)
    contract = serializers.IntegerField(source="wave.contract_id", read_only=True)
    agency_code = serializers.CharField(source="agency.code", read_only=True)

    class Meta:
        model = Cohort
        fields = [
            "id",
            "wave",
            "wave_number",
            "contract",
            "agency",
            "agency_code",
            "seat_quota",
            "onboarding_date",
            "status",
        ]
        read_only_fields = fields


class GateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=GateKind.choices)
    label = serializers.CharField()
    is_met = serializers.BooleanField()
    figure = serializers.CharField(help_text="Why, in words: who signed off, or the share trained.")


class ReadinessSerializer(serializers.Serializer):
    cohort = serializers.IntegerField()
    agency_code = serializers.CharField()
    ready = serializers.BooleanField(help_text="Every gate passes.")
    active_employees = serializers.IntegerField()
    trained_employees = serializers.IntegerField()
    threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
    gates = GateSerializer(many=True)


class SignOffInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=SIGNED_GATE_CHOICES)
    evidence = serializers.CharField(
        max_length=5000, help_text="What the sign-off rests on: a ticket, a memo, a link."
    )


class ReopenInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=SIGNED_GATE_CHOICES)
    reason = serializers.CharField(max_length=2000)


class CohortActivateInputSerializer(StrictSerializer):
    read_only_names = frozenset(CohortSerializer.Meta.fields)

    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Preview only: the job lists who would be activated and who is blocked.",
    )


class JobSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    outcome = serializers.JSONField(read_only=True, help_text="Counts by result, when known.")
    errors = serializers.JSONField(read_only=True, help_text="Blocked people and failures.")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "subject",
            "cohort",
            "requested_by",
            "dry_run",
            "created_at",
            "queued_at",
            "requeued",
            "started_at",
            "finished_at",
            "done",
            "total",
            "outcome",
            "errors",
        ]
        read_only_fields = fields


class JobQueuedSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text="The job's id: follow it at `url`.")
    status = serializers.CharField(help_text="The job's status when the answer was written.")
    dry_run = serializers.BooleanField()
    url = serializers.CharField(help_text="Where the job's progress is read.")
