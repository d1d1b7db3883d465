"""`GET /api/v1/health`: can this process reach its database and its broker? For load balancers
and uptime checks, so it needs no credentials and shows no secrets: only `ok`, `error`,
`degraded` or `eager`, never a URL, host or error message."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .permissions import ApiMethodsMixin
from .serializers import ErrorSerializer

log = logging.getLogger(__name__)
BROKER_TIMEOUT = 2.0  # seconds: a health check must answer quickly even when Redis is gone


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["ok", "degraded", "error"],
        help_text="`ok`: all good; `degraded`: the broker is unreachable, so background jobs "
        "wait; `error`: the database is unreachable.",
    )
    database = serializers.ChoiceField(choices=["ok", "error"])
    broker = serializers.ChoiceField(
        choices=["ok", "degraded", "eager"],
        help_text="`eager`: no broker configured, jobs run in the web process.",
    )


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not reachable"; the reason goes to the log only
        log.warning("health: database check failed", exc_info=True)
        return "error"
    return "ok"


def broker_status() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    except Exception:
        log.warning("health: broker check failed", exc_info=False)
        return "degraded"
    return "ok"


class HealthView(ApiMethodsMixin, APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        operation_id="health",
        tags=["health"],
        auth=[],
        responses={200: HealthSerializer, 503: HealthSerializer, 405: ErrorSerializer},
        summary="Database and broker status (no credentials needed)",
        description="200 while the database answers, 503 when it does not. A missing broker "
        "only degrades the answer: requests are served, background jobs wait.",
    )
    def get(self, request):
        database = database_status()
        broker = broker_status()
        overall = "error" if database != "ok" else ("degraded" if broker == "degraded" else "ok")
        body = {"status": overall, "database": database, "broker": broker}
        response = Response(body, status=200 if database == "ok" else 503)
        response["Cache-Control"] = "no-store"
        return response
