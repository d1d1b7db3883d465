"""Rate limits per API key, per user and per scope, with rates from the environment
(`API_THROTTLE_*`, see docs/api.md). Counters live in the default cache: Redis in production, so
every web process shares them. A throttled request answers 429 with `Retry-After`."""

from __future__ import annotations

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from agencies.models import UserAPIKey
from config.middleware import CACHE_AND_BROKER_ERRORS

log = logging.getLogger(__name__)


class _Throttle(SimpleRateThrottle):
    """Reads its rate when asked, so a changed setting (or a test's override) takes effect."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        # The counters live in Redis; when it is unreachable, serve the request unthrottled
        # rather than fail it: PostgreSQL, not the cache, decides whether a write may happen.
        try:
            return super().allow_request(request, view)
        except CACHE_AND_BROKER_ERRORS:
            log.warning("throttle %s: cache unreachable, request not throttled", self.scope)
            return True


def _is_key(request) -> bool:
    return isinstance(request.auth, UserAPIKey)


class ApiKeyThrottle(_Throttle):
    """Each API key has its own budget (`API_THROTTLE_API_KEY`)."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if not _is_key(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserThrottle(_Throttle):
    """Each user has one budget across their session and all their keys (`API_THROTTLE_USER`)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonThrottle(_Throttle):
    """Requests without credentials, by client address (`API_THROTTLE_ANON`)."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ScopedThrottle(_Throttle):
    """A tighter budget for expensive endpoints, named by the view's `throttle_scope`
    (`seat_counts`, `forecast`, `cohort_activation`), counted per key, else per user."""

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def __init__(self):
        # The scope is only known per view; rate and counts are set in allow_request.
        pass

    def get_cache_key(self, request, view):
        if _is_key(request):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
