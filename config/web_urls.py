"""Routes of the web pages (server-rendered, behind login), included by config/urls.py at "".

Namespace `web`. Every page asks the API's role and agency-scope questions; see docs/pages.md."""

from django.templatetags.static import static
from django.urls import path, re_path, register_converter
from django.views.generic import RedirectView

from agencies import views_people, views_uploads
from agencies.views import AgencyPage, LoginPage, SeatCountsPage, home
from config.pages import LogoutPage, NoRolePage
from licensing import views_billing, views_seats
from licensing.views import ContractDashboard, ContractWhatIf, FinanceHome
from notifications.views import (
    PreferencesPage,
    WebhookCreatePage,
    WebhookDeletePage,
    WebhookEditPage,
    WebhookListPage,
    WebhookPage,
    WebhookRedeliverPage,
)
from rollout.console.cohorts import CohortActivate, CohortPage, GateReopen, GateSignOff
from rollout.console.jobs import JobBlockedCsv, JobPage, JobProgress
from rollout.console.plan import CohortAdd, CohortChange, CohortRemove, WaveCreate, WaveUpdate
from rollout.console.reclaim import ReclaimPage
from rollout.console.waves import WaveActionPage, WavePage
from rollout.services.waves import ACTIONS as WAVE_ACTIONS
from rollout.views import TimelinePage
from vendor import views as vendor_views

app_name = "web"


class IdConverter:
    """An object's id as the pages write it: digits, no leading zero, at most 19 of them, so
    `/people/07/` is not person 7 but a page that does not exist (the API refuses the same
    spellings with a 400 naming the id)."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")


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
        "contracts/<id:pk>/",
        ContractDashboard.as_view(http_method_names=["get", "head"]),
        name="contract",
    ),
    path("contracts/<id:pk>/what-if/", ContractWhatIf.as_view(), name="contract-whatif"),
    path("rollout/timeline/", TimelinePage.as_view(), name="timeline"),
    path("seats/", SeatCountsPage.as_view(), name="seats"),
    path("agencies/<str:code>/", AgencyPage.as_view(), name="agency"),
    # --- Console: people and seats, uploads, billing marks, coordinators' requests -------------
    # (wip/console-people; docs/pages.md, "Acting from a page"). Every action is a
    # config.console.ActionPage calling the service the API calls.
    path("people/<id:pk>/", views_people.PersonPage.as_view(), name="person"),
    path(
        "people/<id:pk>/request-seat/",
        views_seats.SeatRequestPage.as_view(),
        name="seat-request",
    ),
    path("seats/<id:pk>/approve/", views_seats.SeatApprove.as_view(), name="seat-approve"),
    path("seats/<id:pk>/activate/", views_seats.SeatActivate.as_view(), name="seat-activate"),
    path("seats/<id:pk>/override/", views_seats.SeatOverride.as_view(), name="seat-override"),
    path("seats/<id:pk>/suspend/", views_seats.SeatSuspend.as_view(), name="seat-suspend"),
    path(
        "seats/<id:pk>/reactivate/",
        views_seats.SeatReactivate.as_view(),
        name="seat-reactivate",
    ),
    path("seats/<id:pk>/revoke/", views_seats.SeatRevoke.as_view(), name="seat-revoke"),
    path(
        "agencies/<str:code>/request-seats/",
        views_people.AgencySeatRequest.as_view(),
        name="agency-request-seats",
    ),
    path("imports/", views_uploads.ImportsPage.as_view(), name="imports"),
    path("imports/roster/", views_uploads.RosterUploadPage.as_view(), name="import-roster"),
    path("imports/usage/", views_uploads.UsageUploadPage.as_view(), name="import-usage"),
    path("imports/<id:pk>/", views_uploads.ImportJobPage.as_view(), name="import-job"),
    path(
        "imports/<id:pk>/progress/",
        views_uploads.ImportJobProgress.as_view(),
        name="import-job-progress",
    ),
    path(
        "imports/<id:pk>/confirm/",
        views_uploads.ImportConfirmPage.as_view(),
        name="import-confirm",
    ),
    path(
        "imports/<id:pk>/errors.csv",
        views_uploads.ImportErrorsCsv.as_view(),
        name="import-errors",
    ),
    path(
        "contracts/<id:pk>/billing/<id:line_id>/mark/",
        views_billing.BillingLineMark.as_view(),
        name="billing-mark",
    ),
    path(
        "contracts/<id:pk>/billing/<id:line_id>/undo-paid/",
        views_billing.BillingLineUndo.as_view(),
        name="billing-undo",
    ),
    # --- end of the people-and-seats console block -------------------------------------------
    # --- the vendor's workspace (vendor/views.py, docs/vendor.md) ------------------------------
    path("vendor/", vendor_views.VendorHome.as_view(), name="vendor"),
    path("vendor/provisioning/", vendor_views.ProvisioningQueuePage.as_view(), name="vendor-queue"),
    path(
        "vendor/provisioning/retry-failed/",
        vendor_views.RetryFailedPage.as_view(),
        name="vendor-retry-failed",
    ),
    path(
        "vendor/seats/<id:pk>/retry/",
        vendor_views.SeatProvisioningRetry.as_view(),
        name="vendor-seat-retry",
    ),
    path(
        "vendor/contracts/<id:pk>/reconciliation/",
        vendor_views.ReconciliationPage.as_view(),
        name="vendor-reconciliation",
    ),
    path(
        "vendor/contracts/<id:pk>/reconciliation/run/",
        vendor_views.ReconcileNowPage.as_view(),
        name="vendor-reconcile-now",
    ),
]

# --- Rollout console: plan, waves, gates, activation, jobs, reclamation (rollout/console/) ---
# Every action is a config.console.ActionPage calling the service the API calls; who may open
# what is the table in docs/pages.md.
urlpatterns += [
    path("rollout/waves/new/", WaveCreate.as_view(), name="wave-create"),
    path("rollout/waves/<id:pk>/", WavePage.as_view(), name="wave"),
    path("rollout/waves/<id:pk>/edit/", WaveUpdate.as_view(), name="wave-edit"),
    path("rollout/waves/<id:pk>/cohorts/new/", CohortAdd.as_view(), name="cohort-add"),
    re_path(
        rf"^rollout/waves/(?P<pk>[0-9]+)/(?P<action>{'|'.join(WAVE_ACTIONS)})/$",
        WaveActionPage.as_view(),
        name="wave-action",
    ),
    path("rollout/cohorts/<id:pk>/", CohortPage.as_view(), name="cohort"),
    path("rollout/cohorts/<id:pk>/edit/", CohortChange.as_view(), name="cohort-edit"),
    path("rollout/cohorts/<id:pk>/remove/", CohortRemove.as_view(), name="cohort-remove"),
    path(
        "rollout/cohorts/<id:pk>/gates/<slug:kind>/sign-off/",
        GateSignOff.as_view(),
        name="gate-sign-off",
    ),
    path(
        "rollout/cohorts/<id:pk>/gates/<slug:kind>/reopen/",
        GateReopen.as_view(),
        name="gate-reopen",
    ),
    path("rollout/cohorts/<id:pk>/activate/", CohortActivate.as_view(), name="cohort-activate"),
    path("rollout/jobs/<id:pk>/", JobPage.as_view(), name="job"),
    path("rollout/jobs/<id:pk>/progress/", JobProgress.as_view(), name="job-progress"),
    path("rollout/jobs/<id:pk>/blocked.csv", JobBlockedCsv.as_view(), name="job-blocked-csv"),
    path("rollout/reclaim/", ReclaimPage.as_view(), name="reclaim"),
]
# --- end of the rollout console ---

# --- Notifications: email choices and webhook settings (notifications/views.py) ---------------
urlpatterns += [
    path("notifications/", PreferencesPage.as_view(), name="notifications"),
    path("notifications/webhooks/", WebhookListPage.as_view(), name="webhooks"),
    path("notifications/webhooks/new/", WebhookCreatePage.as_view(), name="webhook-new"),
    path("notifications/webhooks/<id:pk>/", WebhookPage.as_view(), name="webhook"),
    path("notifications/webhooks/<id:pk>/edit/", WebhookEditPage.as_view(), name="webhook-edit"),
    path(
        "notifications/webhooks/<id:pk>/delete/",
        WebhookDeletePage.as_view(),
        name="webhook-delete",
    ),
    path(
        "notifications/webhooks/<id:pk>/deliveries/<id:delivery_id>/redeliver/",
        WebhookRedeliverPage.as_view(),
        name="webhook-redeliver",
    ),
]
