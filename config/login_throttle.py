"""Login throttling for the admin sign-in (the only password form Seatplan has).

Failed sign-ins are counted in the shared cache (Redis in production, so every web process sees
the same counts) per client address *and* username, and per address alone:

- `LOGIN_THROTTLE_FAILURES` (default 5) failures for one username from one address within
  `LOGIN_THROTTLE_WINDOW` seconds (default 900) lock that pair until the window ends;
- `LOGIN_THROTTLE_IP_FAILURES` (default 50) failures from one address, whatever the usernames,
  lock the address (password spraying).

A locked sign-in answers 429 with `Retry-After` and does not even try the password, so a correct
guess during the lock teaches nothing; the answer is the same whether the username exists or not.
A successful sign-in clears its pair's count. Cache keys hold a hash of the address and
username, never the username itself. If the cache is unreachable the sign-in is let through (and
logged): an outage of Redis must not lock every member of staff out.

The client address is `REMOTE_ADDR`; behind a proxy, have the WSGI server set it from the
proxy's header (gunicorn `--forwarded-allow-ips`), never trust `X-Forwarded-For` here.

Wiring: one line in `MIDDLEWARE`, after `SessionMiddleware`:
`"config.login_throttle.LoginThrottleMiddleware"`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse

from config.middleware import CACHE_AND_BROKER_ERRORS

log = logging.getLogger(__name__)

DEFAULT_FAILURES = 5
DEFAULT_IP_FAILURES = 50
DEFAULT_WINDOW = 15 * 60


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def throttle_keys(address: str, username: str) -> tuple[str, str]:
    """The cache keys of a (address, username) pair and of the address alone."""
    return (
        f"login-throttle:pair:{_digest(address, username.strip().lower())}",
        f"login-throttle:addr:{_digest(address)}",
    )


def _login_paths() -> frozenset[str]:
    paths = set(getattr(settings, "LOGIN_THROTTLE_PATHS", ()))
    with contextlib.suppress(NoReverseMatch):  # the admin is always mounted
        paths.add(reverse("admin:login"))
    return frozenset(paths)


def _locked(window: int) -> HttpResponse:
    minutes = max(1, round(window / 60))
    response = HttpResponse(
        "Too many failed sign-in attempts. Try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}.\n",
        status=429,
        content_type="text/plain",
    )
    response["Retry-After"] = str(window)
    response["Cache-Control"] = "no-store"
    return response


class LoginThrottleMiddleware:
    """Counts failed POSTs to the sign-in form and refuses further tries while locked."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: frozenset[str] | None = None

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        if self._paths is None:
            self._paths = _login_paths()
        if request.path not in self._paths:
            return self.get_response(request)

        window = _setting("LOGIN_THROTTLE_WINDOW", DEFAULT_WINDOW)
        address = request.META.get("REMOTE_ADDR", "")
        username = str(request.POST.get("username", ""))
        pair_key, addr_key = throttle_keys(address, username)
        try:
            counts = cache.get_many([pair_key, addr_key])
        except CACHE_AND_BROKER_ERRORS:
            log.warning("login throttle: cache unreachable, sign-in not throttled")
            return self.get_response(request)
        if counts.get(pair_key, 0) >= _setting(
            "LOGIN_THROTTLE_FAILURES", DEFAULT_FAILURES
        ) or counts.get(addr_key, 0) >= _setting("LOGIN_THROTTLE_IP_FAILURES", DEFAULT_IP_FAILURES):
            log.warning("login throttle: sign-in refused while locked (429)")
            return _locked(window)

        response = self.get_response(request)
        try:
            if response.status_code == 200:
                # The form came back: the credentials were refused.
                for key in (pair_key, addr_key):
                    cache.add(key, 0, timeout=window)
                    cache.incr(key)
            elif response.status_code in (301, 302, 303):
                cache.delete(pair_key)
        except (ValueError, *CACHE_AND_BROKER_ERRORS):
            # ValueError: the key expired between add and incr; the next failure counts again.
            log.warning("login throttle: failed sign-in not counted")
        return response
