"""When a backing service is down, answer 503 in the API's error shape, never a 500 traceback.

PostgreSQL restarting, a failover, or Redis (cache, broker) being unreachable make views raise
connection errors. Those are not bugs: the request may simply be retried in a few seconds. This
middleware turns them into `503 Service Unavailable` with `Retry-After`: under `/api/` the one
error body `{"code": "service_unavailable", "detail": ..., "fields": {}}`, elsewhere a short plain
page. The log gets one warning line naming the failing dependency, without the traceback or the
error text (which can name hosts and users). Any other exception is left to Django (500).

Django reconnects by itself on the next request (`CONN_HEALTH_CHECKS`), so nothing needs to be
done by hand once the service is back (docs/reliability.md).
"""

from __future__ import annotations

import logging

from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpResponse, JsonResponse

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "The service is temporarily unavailable; retry in a few seconds."


def _cache_and_broker_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = []
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a runtime requirement
        pass
    try:
        from kombu.exceptions import OperationalError as BrokerOperationalError

        errors.append(BrokerOperationalError)
    except ImportError:  # pragma: no cover - celery is a runtime requirement
        pass
    return tuple(errors)


DATABASE_ERRORS = (DatabaseOperationalError, InterfaceError)
CACHE_AND_BROKER_ERRORS = _cache_and_broker_errors()


def dependency_of(exception: BaseException) -> str | None:
    """'database', 'cache or broker', or None when the exception is not an outage."""
    if isinstance(exception, DATABASE_ERRORS):
        return "database"
    if isinstance(exception, CACHE_AND_BROKER_ERRORS):
        return "cache or broker"
    return None


def service_unavailable(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "service_unavailable", "detail": DETAIL, "fields": {}}, status=503
        )
    else:
        response = HttpResponse(
            f"Service unavailable. {DETAIL}\n", status=503, content_type="text/plain"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """Maps a database, cache or broker outage raised by a view to a clean 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        dependency = dependency_of(exception)
        if dependency is None:
            return None
        log.warning(
            "%s unavailable: %s %s answered 503 (%s)",
            dependency,
            request.method,
            request.path,
            type(exception).__name__,
        )
        return service_unavailable(request)
