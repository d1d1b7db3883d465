"""Login throttling: one shared counter for every way to sign in.

Failed sign-ins are counted in the shared cache (Redis in production, so every web process sees
the same counts) per client address *and* account, and per address alone:

- `LOGIN_THROTTLE_FAILURES` (default 5) failures for one account from one address within
  `LOGIN_THROTTLE_WINDOW` seconds (default 900) lock that pair until the window ends;
- `LOGIN_THROTTLE_IP_FAILURES` (default 50) failures from one address, whatever the accounts,
  lock the address (password spraying).

A locked sign-in answers 429 with `Retry-After` and does not even try the password, so a correct
guess during the lock teaches nothing; the answer is the same whether the account exists or not.
A successful sign-in clears its pair's count. Cache keys hold a hash of the address and account,
never the account itself. If the cache is unreachable the sign-in is let through (and logged):
an outage of Redis must not lock every member of staff out.

How every path lands on the same counter:

- **Password forms** (`/accounts/login/`, `/admin/login/`, the browsable API's login, any form
  that calls `django.contrib.auth.authenticate`): `LoginThrottleBackend` (Django's
  `ModelBackend` with the check in front), first in `AUTHENTICATION_BACKENDS`, refuses a locked
  (address, username) before any backend checks the password; Django's `user_login_failed`
  and `user_logged_in` signals count and clear. Nothing depends on the URL, so a new form is
  covered the day it is added.
- **Single sign-on callbacks** (OpenID Connect, …) and anything else that authenticates without
  a password form call the public functions below themselves, with the account name they are
  about to sign in (or `None` when it is not known yet: only the address counts then):

      from config import login_throttle

      login_throttle.login_throttle_check(request=request, username=claimed)  # raises LoginLocked
      ...  # verify the assertion
      login_throttle.login_failure_record(request=request, username=claimed)  # on a refusal
      login_throttle.login_failures_clear(request=request, username=user.get_username())  # success

  A callback that reaches `authenticate()` (mozilla-django-oidc does) is already checked per
  address by the backend and counted by the signal.
- **`LoginLocked`**, raised anywhere in a request, becomes the 429 answer
  (`LoginThrottleMiddleware`): the one JSON error shape `{"code": "throttled", …}` under
  `/api/`, a short plain-text page elsewhere, both with `Retry-After`.

The client address is `REMOTE_ADDR`; behind a proxy, have the WSGI server set it from the
proxy's header (gunicorn `--forwarded-allow-ips`), never trust `X-Forwarded-For` here.

Wiring (base settings, so every settings module has it; a test checks each one):
`"config.login_throttle.LoginThrottleMiddleware"` in `MIDDLEWARE` right after
`SessionMiddleware`, and `"config.login_throttle.LoginThrottleBackend"` first in
`AUTHENTICATION_BACKENDS`.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.middleware import CACHE_AND_BROKER_ERRORS

log = logging.getLogger(__name__)

DEFAULT_FAILURES = 5
DEFAULT_IP_FAILURES = 50
DEFAULT_WINDOW = 15 * 60


class LoginLocked(Exception):
    """Sign-in refused without trying the credentials: too many recent failures for this
    account from this address, or from this address altogether. `retry_after` is in seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed sign-in attempts; retry after {retry_after} s.")
        self.retry_after = retry_after


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))


def throttle_keys(address: str, username: str | None) -> tuple[str | None, str]:
    """The cache keys of an (address, account) pair (None without an account) and of the
    address alone."""
    pair = None
    if username:
        pair = f"login-throttle:pair:{_digest(address, str(username).strip().lower())}"
    return pair, f"login-throttle:addr:{_digest(address)}"


def login_throttle_check(*, request: HttpRequest, username: str | None) -> None:
    """Raise `LoginLocked` when a sign-in for `username` (None: not known yet) from this
    request's address must be refused without trying it. Lets it through when the cache is
    unreachable."""
    pair_key, addr_key = throttle_keys(_address(request), username)
    keys = [k for k in (pair_key, addr_key) if k]
    try:
        counts = cache.get_many(keys)
    except CACHE_AND_BROKER_ERRORS:
        log.warning("login throttle: cache unreachable, sign-in not throttled")
        return
    pair_locked = pair_key is not None and counts.get(pair_key, 0) >= _setting(
        "LOGIN_THROTTLE_FAILURES", DEFAULT_FAILURES
    )
    addr_locked = counts.get(addr_key, 0) >= _setting(
        "LOGIN_THROTTLE_IP_FAILURES", DEFAULT_IP_FAILURES
    )
    if pair_locked or addr_locked:
        log.warning("login throttle: sign-in refused while locked (429)")
        raise LoginLocked(_setting("LOGIN_THROTTLE_WINDOW", DEFAULT_WINDOW))


def login_failure_record(*, request: HttpRequest | None, username: str | None) -> None:
    """Count one failed sign-in for `username` (None: the account is not known) from this
    request's address, and for the address alone."""
    if request is None:  # a management command or a test calling authenticate() directly
        return
    window = _setting("LOGIN_THROTTLE_WINDOW", DEFAULT_WINDOW)
    for key in throttle_keys(_address(request), username):
        if key is None:
            continue
        try:
            cache.add(key, 0, timeout=window)
            cache.incr(key)
        except (ValueError, *CACHE_AND_BROKER_ERRORS):
            # ValueError: the key expired between add and incr; the next failure counts again.
            log.warning("login throttle: failed sign-in not counted")


def login_failures_clear(*, request: HttpRequest | None, username: str | None) -> None:
    """Forget the failures of `username` from this request's address (a successful sign-in).
    The address's own count stays: one right password does not excuse a spray."""
    pair_key, _ = throttle_keys(_address(request), username)
    if request is None or pair_key is None:
        return
    try:
        cache.delete(pair_key)
    except CACHE_AND_BROKER_ERRORS:
        log.warning("login throttle: count not cleared")


class LoginThrottleBackend(ModelBackend):
    """Django's username-and-password backend, first in `AUTHENTICATION_BACKENDS`, that refuses
    a locked sign-in (`LoginLocked`) before any backend checks the credentials. It replaces
    `ModelBackend` rather than sitting beside it, so a password is hashed once per try."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            login_throttle_check(request=request, username=username)
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed, dispatch_uid="login_throttle_count_failure")
def _count_failure(sender, credentials, request=None, **kwargs):
    login_failure_record(request=request, username=credentials.get("username"))


@receiver(user_logged_in, dispatch_uid="login_throttle_clear_on_success")
def _clear_on_success(sender, request, user, **kwargs):
    login_failures_clear(request=request, username=user.get_username())


def locked_response(request: HttpRequest, exc: LoginLocked) -> HttpResponse:
    """The 429 answer: the API's error shape under /api/, plain text elsewhere."""
    minutes = max(1, round(exc.retry_after / 60))
    detail = (
        f"Too many failed sign-in attempts. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "throttled", "detail": detail, "fields": {}}, status=429
        )
    else:
        response = HttpResponse(detail + "\n", status=429, content_type="text/plain")
    response["Retry-After"] = str(exc.retry_after)
    response["Cache-Control"] = "no-store"
    return response


class LoginThrottleMiddleware:
    """Turns `LoginLocked`, raised by the backend or by an SSO callback, into the 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, LoginLocked):
            return locked_response(request, exception)
        return None
