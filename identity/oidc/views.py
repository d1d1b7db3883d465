"""The two ends of the sign-in through the identity provider: the redirect there (with state,
nonce and a PKCE challenge, kept in the session) and the callback that exchanges the code.

Both answer 404 while OIDC is not configured. The callback counts on the login throttle like a
password sign-in: a refused callback is a failed sign-in for the client's address, and an
address locked by failures (of either kind) is refused before the code is even exchanged."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from ..conf import oidc_enabled, provider_name
from . import throttle
from .backend import oidc_setting
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
        locked = throttle.refused(request)
        if locked is not None:
            return locked
        self.user = None
        try:
            response = super().get(request)
        except (SuspiciousOperation, DiscoveryError, *FETCH_ERRORS) as exc:
            log.warning("oidc: sign-in refused (%s)", exc.__class__.__name__)
            response = self.login_failure()
        if self.user is not None and self.user.is_active and request.user.is_authenticated:
            throttle.succeeded(request)
        else:
            throttle.failed(request)
        return response

    def login_failure(self):
        messages.error(
            self.request,
            f"Signing in with {provider_name()} did not succeed. Try again, or ask your "
            "administrator whether your account may use Seatplan.",
        )
        return HttpResponseRedirect(reverse("web:login"))
