"""Context every template rendered with a request gets: the header's navigation.

Pages (`agencies.views.PageMixin`) put the navigation in their own context, naming the current
page; this processor gives the same to everything else (error pages, the logout confirmation,
the no-role page), so every page a signed-in user sees has the menu their roles allow and the
logout button. The values are lazy: a template that never shows them (the admin's, the API's)
costs no query."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

NAV_KEYS = ("nav_links", "nav_roles", "nav_has_role", "scope_all")


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memo: dict = {}

    def value(key: str):
        if not memo:
            from agencies.views import nav_context

            memo.update(nav_context(request, ""))
        return memo[key]

    lazy = {key: SimpleLazyObject(lambda key=key: value(key)) for key in NAV_KEYS}
    return {**lazy, "nav_current": ""}
