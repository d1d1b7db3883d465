"""GET /api/v1/exports/<kind>/?format=csv|xlsx&…: the exports of `licensing.exports` over the API.

Kinds: `employees`, `seats`, `seat-events`, `billing-lines`, `chargeback`. Rollout managers and
finance export everything; agency coordinators export their own agencies' rows (and no billing
lines, which are the whole contract's); API readers do not export. Every export is recorded as a
`core.Job` of kind export (who, what, when), whose id comes back in `X-Export-Job`.

`format` is read by the view, not by DRF's content negotiation (which would look for a renderer
named csv), so errors still answer in the API's JSON error shape.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from config.api.permissions import agency_scope, has_any_role
from config.api.serializers import ErrorSerializer, QuerySerializer, StrictDateField, validated
from config.roles import AGENCY_COORDINATOR, FINANCE, ROLLOUT_MANAGER

from .exports import FORMATS, KINDS, ExportFilters, export_build
from .models import Contract

EXPORTERS = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR)
WHOLE_CONTRACT = (ROLLOUT_MANAGER, FINANCE)


class JSONErrorsNegotiation(BaseContentNegotiation):
    """Errors are JSON whatever `format` asks for; the file itself is a plain HttpResponse."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return JSONRenderer(), JSONRenderer.media_type


class ExportQuerySerializer(QuerySerializer):
    format = serializers.ChoiceField(choices=sorted(FORMATS), default="csv")
    contract = serializers.CharField(
        required=False, help_text="Contract number (seats, seat events, billing, chargeback)."
    )
    agency = serializers.CharField(required=False, help_text="Agency code.")
    status = serializers.CharField(
        required=False,
        help_text="Employment status (employees), seat status (seats), the status an event "
        "moved to (seat events) or the billing line's status.",
    )
    since = StrictDateField(required=False, help_text="From this day (events, period starts).")
    until = StrictDateField(required=False, help_text="To this day, inclusive.")
    as_of = StrictDateField(
        required=False, help_text="Chargeback as of the end of (default today)."
    )

    def validate_contract(self, value: str) -> Contract:
        contract = Contract.objects.filter(number=value).first()
        if contract is None:
            raise serializers.ValidationError(f"No contract has number {value!r}.")
        return contract

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be on or after since."]})
        return attrs


class ExportView(APIView):
    """One export file, built from the database now and recorded."""

    content_negotiation_class = JSONErrorsNegotiation
    http_method_names = ["get", "head"]

    @property
    def roles(self) -> dict[str, tuple[str, ...]]:
        spec = KINDS.get(self.kwargs.get("kind", ""))
        allowed = WHOLE_CONTRACT if spec is not None and not spec.per_agency else EXPORTERS
        return {"GET": allowed, "HEAD": allowed}

    @extend_schema(
        summary="Download an export (CSV or XLSX)",
        description="Kinds: " + ", ".join(f"`{k}`" for k in KINDS) + ". Cells that would start "
        "a spreadsheet formula are written with a leading apostrophe. The export is recorded "
        "as a job of kind `export`; its id is in the `X-Export-Job` header.",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(KINDS)),
            ExportQuerySerializer,
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            (200, FORMATS["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request, kind: str):
        if kind not in KINDS:
            raise Http404
        params = validated(ExportQuerySerializer, request, data=request.query_params)
        scope = agency_scope(request)
        agency_ids = None if scope.is_all else scope.agency_ids
        filters = ExportFilters(
            contract=params.get("contract"),
            agency_code=params.get("agency"),
            status=params.get("status"),
            since=params.get("since"),
            until=params.get("until"),
            as_of=params.get("as_of"),
        )
        export = export_build(
            kind=kind,
            fmt=params["format"],
            actor=request.user,
            filters=filters,
            agency_ids=agency_ids,
            via="api",
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["X-Export-Job"] = str(export.job.pk)
        response["Cache-Control"] = "no-store"
        return response


def export_links(user, *wanted: tuple[str, str, dict]) -> list[dict]:
    """Download links for pages: for each `(kind, label, filters)` the caller may export, its
    CSV and XLSX URLs. A kind the caller's role may not export is left out (an API reader
    exports nothing; a coordinator no billing lines, and only their own agencies' rows of the
    rest, which the export itself enforces)."""
    links = []
    for kind, label, filters in wanted:
        spec = KINDS[kind]
        allowed = EXPORTERS if spec.per_agency else WHOLE_CONTRACT
        if not has_any_role(user, allowed):
            continue
        base = reverse("exports:export", kwargs={"kind": kind})
        links.append(
            {
                "kind": kind,
                "label": label,
                **{
                    fmt: f"{base}?{urlencode({'format': fmt, **filters})}"
                    for fmt in ("csv", "xlsx")
                },
            }
        )
    return links
