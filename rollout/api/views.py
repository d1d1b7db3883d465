"""Endpoints of the rollout API: waves and their lifecycle actions, cohorts with their readiness,
sign-offs, activation jobs and job progress. Each action calls one service; a refusal comes back
as the service's `BusinessRuleError` (409 with its code)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.permissions import MANAGE, READ, AgencyScopedMixin, ApiMethodsMixin, agency_scope
from config.api.serializers import validated
from core.models import Job

from ..gates import cohort_gates
from ..models import Cohort, Wave
from ..selectors import wave_readiness, with_changes
from ..services import (
    cohort_activation_enqueue,
    readiness_reopen,
    readiness_sign_off,
    wave_approve,
    wave_cancel,
    wave_complete,
    wave_pause,
    wave_resume,
    wave_start,
)
from .filters import CohortFilter, WaveFilter
from .serializers import (
    CohortActivateInputSerializer,
    CohortSerializer,
    JobQueuedSerializer,
    JobSerializer,
    ReadinessSerializer,
    ReopenInputSerializer,
    SignOffInputSerializer,
    WaveActionInputSerializer,
    WaveSerializer,
)

WAVE_ACTIONS = {
    "approve": (wave_approve, "Approve a planned wave (every readiness gate must pass)"),
    "start": (wave_start, "Start an approved wave (gates checked again)"),
    "pause": (wave_pause, "Pause a running wave: activations stop"),
    "resume": (wave_resume, "Resume a paused wave (gates checked again)"),
    "complete": (wave_complete, "Complete a running wave"),
    "cancel": (wave_cancel, "Cancel a planned, approved or paused wave"),
}


def _wave_action(name: str):
    service, summary = WAVE_ACTIONS[name]

    def act(self, request, pk=None):
        wave = self.get_object()
        data = validated(WaveActionInputSerializer, request)
        wave = service(wave=wave, actor=request.user, reason=data["reason"])
        return Response(WaveSerializer(wave, context={"request": request}).data)

    act.__name__ = name
    act.__doc__ = service.__doc__
    # extend_schema goes on top of action, or drf-spectacular drops the request body.
    routed = action(detail=True, methods=["post"], url_path=name)(act)
    return extend_schema(
        summary=summary, request=WaveActionInputSerializer, responses={200: WaveSerializer}
    )(routed)


@extend_schema_view(
    list=extend_schema(summary="List waves (a coordinator sees those with their agencies)"),
    retrieve=extend_schema(summary="One wave"),
)
class WaveViewSet(ApiMethodsMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = WaveSerializer
    filterset_class = WaveFilter
    roles = {"list": READ, "retrieve": READ, **{name: MANAGE for name in WAVE_ACTIONS}}

    def get_queryset(self):
        waves = with_changes(Wave.objects.select_related("approved_by")).order_by(
            "contract_id", "number", "id"
        )
        if getattr(self, "swagger_fake_view", False):
            return waves.none()
        scope = agency_scope(self.request)
        if scope.is_all:
            return waves
        mine = scope.filter(Cohort.objects.filter(wave=OuterRef("pk")))
        return waves.filter(Exists(mine))

    approve = _wave_action("approve")
    start = _wave_action("start")
    pause = _wave_action("pause")
    resume = _wave_action("resume")
    complete = _wave_action("complete")
    cancel = _wave_action("cancel")


@extend_schema_view(
    list=extend_schema(summary="List cohorts (a coordinator sees only their agencies')"),
    retrieve=extend_schema(summary="One cohort"),
)
class CohortViewSet(AgencyScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CohortSerializer
    filterset_class = CohortFilter
    throttle_scope = None
    roles = {
        "list": READ,
        "retrieve": READ,
        "readiness": READ,
        "job": READ,
        "activate": MANAGE,
        "sign_off": MANAGE,
        "reopen": MANAGE,
    }

    def get_queryset(self):
        return self.scoped(
            Cohort.objects.select_related("wave", "agency").order_by("wave__number", "id")
        )

    @extend_schema(summary="The cohort's readiness gates", responses={200: ReadinessSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def readiness(self, request, pk=None):
        """Every gate of the cohort: the four signed gates, then training computed live from
        the roster. A cancelled cohort has no gates and is never ready."""
        cohort = self.get_object()
        found = next((r for r in wave_readiness(cohort.wave) if r.cohort_id == cohort.pk), None)
        gates = cohort_gates(found) if found else []
        body = {
            "cohort": cohort.pk,
            "agency_code": cohort.agency.code,
            "ready": bool(gates) and all(g.is_met for g in gates),
            "active_employees": found.active_employees if found else 0,
            "trained_employees": found.trained_employees if found else 0,
            "threshold": found.threshold if found else cohort.wave.contract.readiness_threshold,
            "gates": [
                {"kind": g.kind, "label": g.label, "is_met": g.is_met, "figure": g.figure}
                for g in gates
            ],
        }
        return Response(ReadinessSerializer(body).data)

    @extend_schema(
        summary="Sign off one readiness gate, with evidence",
        request=SignOffInputSerializer,
        responses={200: ReadinessSerializer},
    )
    @action(detail=True, methods=["post"], url_path="readiness/sign-off", filter_backends=[])
    def sign_off(self, request, pk=None):
        cohort = self.get_object()
        data = validated(SignOffInputSerializer, request)
        readiness_sign_off(
            cohort=cohort, kind=data["kind"], actor=request.user, evidence=data["evidence"]
        )
        return self.readiness(request, pk=pk)

    @extend_schema(
        summary="Reopen a signed-off readiness gate, with a reason",
        request=ReopenInputSerializer,
        responses={200: ReadinessSerializer},
    )
    @action(detail=True, methods=["post"], url_path="readiness/reopen", filter_backends=[])
    def reopen(self, request, pk=None):
        cohort = self.get_object()
        data = validated(ReopenInputSerializer, request)
        readiness_reopen(
            cohort=cohort, kind=data["kind"], actor=request.user, reason=data["reason"]
        )
        return self.readiness(request, pk=pk)

    @extend_schema(
        summary="Queue the cohort's activation job (or its dry run)",
        request=CohortActivateInputSerializer,
        responses={202: JobQueuedSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], throttle_scope="cohort_activation")
    def activate(self, request, pk=None):
        """Writes a job row and queues `activate_cohort_task` once the request commits; answers
        202 at once. Follow the job at `url` (`done`/`total`, then `outcome`). The wave must be
        in progress for a real run; a dry run previews any wave."""
        cohort = self.get_object()
        data = validated(CohortActivateInputSerializer, request)
        job = cohort_activation_enqueue(cohort=cohort, actor=request.user, dry_run=data["dry_run"])
        job.refresh_from_db(fields=["status"])  # eager mode (no broker) has already run it
        url = reverse("cohort-job", kwargs={"pk": cohort.pk, "job_id": job.pk})
        body = {"job": job.pk, "status": job.status, "dry_run": job.dry_run, "url": url}
        return Response(JobQueuedSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Progress and outcome of one of the cohort's jobs",
        parameters=[
            OpenApiParameter(
                "job_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The job's id."
            )
        ],
        responses={200: JobSerializer},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"jobs/(?P<job_id>[^/.]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def job(self, request, pk=None, job_id=None):
        cohort = self.get_object()
        job = get_object_or_404(
            Job.objects.select_related("requested_by"), pk=job_id, cohort=cohort
        )
        return Response(JobSerializer(job, context={"request": request}).data)
