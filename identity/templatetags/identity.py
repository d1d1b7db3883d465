"""Template tags of the sign-in page: the identity provider's button and whether the password
form is offered."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from ..conf import oidc_enabled, password_login, provider_name

register = template.Library()


@register.inclusion_tag("identity/sign_in_with.html", takes_context=True)
def sign_in_with_provider(context):
    """ "Sign in with <provider>", carrying the page's `next` along, when OIDC is configured."""
    if not oidc_enabled():
        return {"enabled": False}
    url = reverse("identity:oidc-start")
    following = context.get("next")
    if following:
        url += "?" + urlencode({"next": following})
    return {
        "enabled": True,
        "url": url,
        "provider_name": provider_name(),
        "password_offered": password_sign_in_offered(),
    }


@register.simple_tag
def password_sign_in_offered() -> bool:
    """The password form is shown unless password sign-in is off and the provider is there to
    sign in through (the break-glass superuser then uses the admin's sign-in)."""
    return password_login() or not oidc_enabled()
