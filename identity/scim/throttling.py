"""Rate limits on /scim/v2/, counted like the API's in the shared cache (Redis in production,
so every web process counts together): per token (`SCIM_THROTTLE_TOKEN`, default 1000/min) and,
for requests without a valid token, per client address (`SCIM_THROTTLE_ANON`, 60/min), so a
guessed token costs a minute per sixty guesses. Fixed windows: one `INCR` per request. When the
cache is unreachable the request is served unthrottled (logged): PostgreSQL, not the cache,
decides whether a write may happen."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from config.middleware import CACHE_AND_BROKER_ERRORS

log = logging.getLogger(__name__)

DEFAULT_RATES = {"token": "1000/min", "anon": "60/min"}


def _rate(scope: str) -> tuple[int, int]:
    text = getattr(settings, f"SCIM_THROTTLE_{scope.upper()}", None) or DEFAULT_RATES[scope]
    return SimpleRateThrottle.parse_rate(None, text)


def throttle_wait(scope: str, ident: str) -> int | None:
    """Count one request of `ident` in `scope`; None when it is allowed, else the seconds until
    the window ends (for `Retry-After`)."""
    limit, period = _rate(scope)
    now = time.time()
    window = int(now // period)
    key = f"scim-throttle:{scope}:{ident}:{window}"
    try:
        cache.add(key, 0, timeout=period + 1)
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: the window just ended.
        return None
    except CACHE_AND_BROKER_ERRORS:
        log.warning("scim throttle %s: cache unreachable, request not throttled", scope)
        return None
    if count > limit:
        return max(1, int((window + 1) * period - now) + 1)
    return None
