"""Routes of the sign-in through the identity provider, mounted at /oidc/ (config/urls.py)."""

from django.urls import path

from .oidc.views import OidcCallback, OidcStart

app_name = "identity"

urlpatterns = [
    path("authenticate/", OidcStart.as_view(), name="oidc-start"),
    path("callback/", OidcCallback.as_view(), name="oidc-callback"),
]
