"""The pages every signed-in user can reach whatever their role, and the error pages.

- Logging out is a POST with the CSRF token (the button in every page's header). A GET of the
  logout address shows a confirmation page with that button instead of Django's blank 405, so a
  typed or bookmarked `/accounts/logout/` still lets a user out.
- The no-role page: a signed-in account without a role has nothing to open. It says so, says that
  an administrator must grant a role, and offers the logout button; `/` sends such a user here.
- Error pages (400, 403, 404, 405, 500 and the CSRF failure) share the site's layout and
  stylesheet: a signed-in user keeps the header, the navigation their roles allow and the logout
  button. The 500 page is rendered without the request (Django's `server_error` has no context),
  and falls back to a plain page if even that fails.
- The admin is for staff: a signed-in user who is not staff is told so on a 403 page with the way
  to their own pages, never shown the admin's login form.
"""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.views.generic import TemplateView

from config.api.permissions import READ, has_any_role

log = logging.getLogger(__name__)

PLAIN_500 = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Server error · Seatplan</title>"
    "<h1>Something went wrong</h1><p>The server could not answer. The failure has been logged; "
    'please try again in a moment.</p><p><a href="/">Go to your start page</a></p></html>'
)


class LogoutPage(TemplateView):
    """GET: a confirmation page with the logout button (anonymous visitors go to the login
    page). POST: ends the session and opens the login page, which says so."""

    template_name = "registration/logout.html"
    http_method_names = ["get", "head", "post"]

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return HttpResponseRedirect(reverse("web:login"))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        logout(request)
        if was_signed_in:
            messages.info(request, "You have logged out.")
        return HttpResponseRedirect(reverse("web:login"))


class NoRolePage(LoginRequiredMixin, TemplateView):
    """What a signed-in account without a role sees: why nothing opens and who can change that.
    An account that has a role is sent to its start page."""

    template_name = "registration/no_role.html"
    login_url = reverse_lazy("web:login")

    def get(self, request, *args, **kwargs):
        if has_any_role(request.user, READ):
            return HttpResponseRedirect(reverse("web:home"))
        return super().get(request, *args, **kwargs)


def admin_login(request, extra_context=None):
    """The admin's login, except for a signed-in user who is not staff: the admin's own form
    would ask them to sign in "to a different account"; they get a 403 page instead."""
    user = request.user
    if user.is_authenticated and not (user.is_active and user.is_staff):
        return render(request, "errors/admin_not_staff.html", status=403)
    return admin.site.login(request, extra_context)


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """`CSRF_FAILURE_VIEW`: a form that was out of date (a second sign-in elsewhere rotated the
    token, or the session ended). The page is rendered with the request, so its header carries
    a fresh logout button."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


def method_not_allowed(request, allowed: list[str]) -> HttpResponse:
    """A page asked with a method it does not answer (e.g. a GET of a POST-only address): a
    styled 405 with `Allow` and a link back, instead of an empty body."""
    response = render(request, "405.html", status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def server_error_page() -> HttpResponse:
    """The 500 page in the site's layout; plain HTML when even that cannot be rendered (a
    broken template or static manifest must not turn the error page into a second error)."""
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:
        log.exception("The 500 page could not be rendered; answering the plain one.")
        return HttpResponseServerError(PLAIN_500)
