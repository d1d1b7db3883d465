"""Routes of the web pages (server-rendered, behind login), included by config/urls.py at "".

Namespace `web`. Every page asks the API's role and agency-scope questions; see docs/pages.md."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from agencies.views import AgencyPage, LoginPage, SeatCountsPage, home
from config.pages import LogoutPage, NoRolePage
from licensing.views import BillingLineMark, ContractDashboard, ContractWhatIf, FinanceHome
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
    path("accounts/logout/", LogoutPage.as_view(), name="logout"),
    path("accounts/no-role/", NoRolePage.as_view(), name="no-role"),
    path("finance/", FinanceHome.as_view(), name="finance"),
    path(
        "contracts/<int:pk>/",
        ContractDashboard.as_view(http_method_names=["get", "head"]),
        name="contract",
    ),
    path("contracts/<int:pk>/what-if/", ContractWhatIf.as_view(), name="contract-whatif"),
    path(
        "contracts/<int:pk>/billing/<int:line_id>/mark/",
        BillingLineMark.as_view(),
        name="billing-mark",
    ),
    path("rollout/timeline/", TimelinePage.as_view(), name="timeline"),
    path("seats/", SeatCountsPage.as_view(), name="seats"),
    path("agencies/<str:code>/", AgencyPage.as_view(), name="agency"),
]
