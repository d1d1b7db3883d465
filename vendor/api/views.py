"""Endpoints of the vendor API: the latest reconciliation of a contract. Provisioning states are
served with every seat (`licensing.api.serializers.SeatSerializer.provisioning`)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.permissions import ApiMethodsMixin
from config.roles import FINANCE, ROLLOUT_MANAGER
from licensing.models import Contract

from ..selectors import reconciliation_latest
from .serializers import ReconciliationSerializer

# The report names people (work emails): the roles that read every agency's personal fields.
RECONCILIATION = (ROLLOUT_MANAGER, FINANCE)


class ReconciliationView(ApiMethodsMixin, APIView):
    roles = {"GET": RECONCILIATION}
    queryset = Contract.objects.all()

    @extend_schema(
        summary="The contract's latest reconciliation with the vendor's member list",
        operation_id="contract_reconciliation",
        tags=["contracts"],
        responses={200: ReconciliationSerializer},
    )
    def get(self, request, id: int):
        """The vendor's users against Seatplan's seats, as the nightly run (or `manage.py
        reconcile_vendor`, or the page's "reconcile now") last found them: shadow members with
        their monthly cost, active seats not provisioned, and people active on one side only.
        Reading it never calls the vendor; `checked_at` says how fresh it is. 404 when the
        contract does not exist or has never been reconciled."""
        contract = get_object_or_404(Contract, pk=id)
        latest = reconciliation_latest(contract)
        if latest is None:
            raise NotFound(
                "This contract has not been reconciled yet: the nightly run, the page or "
                "`manage.py reconcile_vendor` makes the first report."
            )
        return Response(latest.as_json())
