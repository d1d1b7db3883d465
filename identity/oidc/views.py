"""The two ends of the sign-in through the identity provider: the redirect there (with state,
nonce and a PKCE challenge, kept in the session) and the callback that exchanges the code.

Both answer 404 while OIDC is not configured. The callback is on the login throttle's one
counter (config/login_throttle.py), through its public functions: an address locked by failed
sign-ins of any kind is refused (429) before the code is even exchanged, and a refused callback
counts as a failed sign-in for the address (the callback knows no account before the exchange).
A refusal that reaches `authenticate()` is counted by the throttle's `user_login_failed`
signal; the view counts only those that never reach it, so none is counted twice."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from config.login_throttle import login_failure_record, login_throttle_check

from ..conf import oidc_enabled, provider_name
from .backend import ATTEMPTED, oidc_setting
from .discovery import FETCH_ERRORS, DiscoveryError

log = logging.getLogger(__name__)


class OidcStart(OIDCAuthenticationRequestView):
    """GET /oidc/authenticate/?next=…: off to the identity provider."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The library reads the endpoint here; it comes from discovery, at request time.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not oidc_enabled():
            raise Http404("Sign-in through an identity provider is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except DiscoveryError:
            log.warning("oidc: the identity provider's configuration cannot be read")
            messages.error(
                request, f"{provider_name()} cannot be reached right now; try again shortly."
            )
            return HttpResponseRedirect(reverse("web:login"))
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)


class OidcCallback(OIDCAuthenticationCallbackView):
    """GET /oidc/callback/?code=…&state=…: back from the identity provider."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not oidc_enabled():
            raise Http404("Sign-in through an identity provider is not configured.")
        # LoginLocked, raised here or by the password backend inside authenticate(), is the
        # throttle middleware's 429.
        login_throttle_check(request=request, username=None)
        self.user = None
        try:
            response = super().get(request)
        except (SuspiciousOperation, DiscoveryError, *FETCH_ERRORS) as exc:
            log.warning("oidc: sign-in refused (%s)", exc.__class__.__name__)
            login_failure_record(request=request, username=None)
            return self.login_failure()
        signed_in = self.user is not None and request.user.is_authenticated
        if not signed_in and not getattr(request, ATTEMPTED, False):
            # Refused before authenticate() (an error from the provider, no code): uncounted.
            login_failure_record(request=request, username=None)
        return response

    def login_failure(self):
        messages.error(
            self.request,
            f"Signing in with {provider_name()} did not succeed. Try again, or ask your "
            "administrator whether your account may use Seatplan.",
        )
        return HttpResponseRedirect(reverse("web:login"))
