"""The identity provider's callback on the login throttle's counter (config/login_throttle.py):
the same per-address count password sign-ins use, so a client locked out of the password form
is locked out of the callback too, and refused callbacks count towards that lock. The callback
knows no username before the code is exchanged, so only the address's count applies."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from config.login_throttle import DEFAULT_IP_FAILURES, DEFAULT_WINDOW, _locked, throttle_keys
from config.middleware import CACHE_AND_BROKER_ERRORS

log = logging.getLogger(__name__)


def _address_key(request) -> str:
    return throttle_keys(request.META.get("REMOTE_ADDR", ""), "")[1]


def _window() -> int:
    return int(getattr(settings, "LOGIN_THROTTLE_WINDOW", DEFAULT_WINDOW))


def refused(request) -> HttpResponse | None:
    """The 429 when the client's address is locked, else None (also when the cache is down)."""
    limit = int(getattr(settings, "LOGIN_THROTTLE_IP_FAILURES", DEFAULT_IP_FAILURES))
    try:
        count = cache.get(_address_key(request), 0)
    except CACHE_AND_BROKER_ERRORS:
        log.warning("login throttle: cache unreachable, sign-in not throttled")
        return None
    if count >= limit:
        log.warning("login throttle: identity provider callback refused while locked (429)")
        return _locked(_window())
    return None


def failed(request) -> None:
    key = _address_key(request)
    try:
        cache.add(key, 0, timeout=_window())
        cache.incr(key)
    except (ValueError, *CACHE_AND_BROKER_ERRORS):
        log.warning("login throttle: failed sign-in not counted")


def succeeded(request) -> None:
    """A successful sign-in through the provider: nothing to clear (the address's count stays,
    as for a password sign-in, so one success does not excuse a spray)."""
