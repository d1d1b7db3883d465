"""Routes for the reliability tests: views that fail the way an outage makes real views fail."""

from django.db import OperationalError
from django.urls import include, path
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError


def _database_down(request):
    raise OperationalError(
        'connection to server at "db.internal" (10.0.0.5), port 5432 failed: Connection refused '
        '(user "seatplan")'
    )


def _cache_down(request):
    raise RedisConnectionError("Error 111 connecting to redis.internal:6379. Connection refused.")


def _broker_down(request):
    raise BrokerError("Error 111 connecting to redis.internal:6379. Connection refused.")


def _bug(request):
    raise ValueError("a plain bug")


urlpatterns = [
    path("api/v1/boom/database", _database_down),
    path("api/v1/boom/cache", _cache_down),
    path("api/v1/boom/queue", _broker_down),
    path("api/v1/boom/bug", _bug),
    path("rollout/boom/database", _database_down),
    path("", include("config.urls")),
]

handler404 = "config.api.exceptions.not_found"
handler500 = "config.api.exceptions.server_error"
