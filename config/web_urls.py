"""Routes of the web pages (server-rendered, behind login), included by config/urls.py at "".

Namespace `web`. Every page asks the API's role and agency-scope questions; see docs/pages.md."""

from django.contrib.auth.views import LogoutView
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from agencies.views import AgencyPage, LoginPage, SeatCountsPage, home
from licensing.views import BillingLineMark, ContractDashboard, FinanceHome
from notifications.views import (
    PreferencesPage,
    WebhookCreatePage,
    WebhookDeletePage,
    WebhookEditPage,
    WebhookListPage,
    WebhookPage,
    WebhookRedeliverPage,
)
from rollout.views import TimelinePage

app_name = "web"


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's): send the local
    one rather than a 404."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("seatplan/favicon.svg")


urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("accounts/login/", LoginPage.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(next_page="web:login"), name="logout"),
    path("finance/", FinanceHome.as_view(), name="finance"),
    path(
        "contracts/<int:pk>/",
        ContractDashboard.as_view(http_method_names=["get", "head"]),
        name="contract",
    ),
    path(
        "contracts/<int:pk>/what-if/",
        ContractDashboard.as_view(http_method_names=["post"]),
        name="contract-whatif",
    ),
    path(
        "contracts/<int:pk>/billing/<int:line_id>/mark/",
        BillingLineMark.as_view(),
        name="billing-mark",
    ),
    path("rollout/timeline/", TimelinePage.as_view(), name="timeline"),
    path("seats/", SeatCountsPage.as_view(), name="seats"),
    path("agencies/<str:code>/", AgencyPage.as_view(), name="agency"),
    path("notifications/", PreferencesPage.as_view(), name="notifications"),
    path("notifications/webhooks/", WebhookListPage.as_view(), name="webhooks"),
    path("notifications/webhooks/new/", WebhookCreatePage.as_view(), name="webhook-new"),
    path("notifications/webhooks/<int:pk>/", WebhookPage.as_view(), name="webhook"),
    path("notifications/webhooks/<int:pk>/edit/", WebhookEditPage.as_view(), name="webhook-edit"),
    path(
        "notifications/webhooks/<int:pk>/delete/",
        WebhookDeletePage.as_view(),
        name="webhook-delete",
    ),
    path(
        "notifications/webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        WebhookRedeliverPage.as_view(),
        name="webhook-redeliver",
    ),
]
