"""Web pages of the agencies app: seat counts by agency and one agency's page; and the plumbing
every page shares (login, roles, agency scope, the contract a page is about).

A page asks the same questions as the API, with the API's own helpers: `has_any_role` for who
may open it, `agency_scope` for which agencies they see (a coordinator only theirs: any other
agency answers 404, as if it did not exist) and `personal_scope` for whose names they may read.
The figures come from the selectors the API serves, so a page and an endpoint never disagree.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.views.generic import TemplateView

from config.api.permissions import (
    MANAGE,
    READ,
    READ_FIGURES,
    REQUEST_SEATS,
    AgencyScope,
    agency_scope,
    has_any_role,
    personal_scope,
    seat_request_scope,
)
from config.pages import method_not_allowed
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER, has_role
from core.models import Job
from licensing import charts
from licensing.api.selectors import seat_counts
from licensing.choices import SeatStatus
from licensing.export_views import export_links
from licensing.models import Contract, Seat
from rollout.choices import CohortStatus, WaveStatus
from rollout.gates import cohort_gates
from rollout.models import Cohort
from rollout.selectors import wave_readiness

from .choices import EmploymentStatus
from .models import Agency, Employee

PAGE_SIZE = 50

ROLE_LABELS = {
    ROLLOUT_MANAGER: "Rollout manager",
    FINANCE: "Finance",
    AGENCY_COORDINATOR: "Agency coordinator",
    API_READER: "Read-only",
}

# The seat states a bar stacks, in order, with their CSS key and the words in the legend.
BAR_STATES = (
    (SeatStatus.ACTIVE, "active", "Active"),
    (SeatStatus.APPROVED, "approved", "Approved (invite sent)"),
    (SeatStatus.REQUESTED, "requested", "Requested"),
    (SeatStatus.HELD, "held", "Held for bargaining"),
    (SeatStatus.SUSPENDED, "suspended", "Suspended"),
)


# ---------------------------------------------------------------------------------------------
# Plumbing shared by every page
# ---------------------------------------------------------------------------------------------


class LoginPage(LoginView):
    """Session login for every role (the admin's login admits staff only)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("web:home")


class PageMixin(LoginRequiredMixin):
    """A page behind login, open to the roles in `roles` (the API's role tuples); anyone else
    logged in gets 403. Adds what the base template's navigation needs."""

    login_url = reverse_lazy("web:login")
    roles: tuple[str, ...] = READ
    nav: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_any_role(request.user, self.roles):
            raise PermissionDenied("This page is not open to your account's role.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(nav_context(self.request, self.nav))
        return context

    def http_method_not_allowed(self, request, *args, **kwargs):
        """A styled 405 naming the methods the page answers (a GET of a POST-only address)."""
        return method_not_allowed(request, self._allowed_methods())


def nav_context(request, current: str) -> dict:
    """The navigation's links for the caller's roles, and who they are. An account without a
    role gets no links (every page would answer 403), only the logout button."""
    user = request.user
    scope = agency_scope(request)
    roles = [label for role, label in ROLE_LABELS.items() if has_role(user, role)]
    if user.is_superuser:
        roles = ["Administrator"]
    links = []
    if has_any_role(user, READ_FIGURES):
        links.append(("finance", reverse("web:finance"), "Finance"))
    if has_any_role(user, READ):
        links.append(("timeline", reverse("web:timeline"), "Rollout timeline"))
        links.append(("seats", reverse("web:seats"), "Seat counts"))
    if has_any_role(user, MANAGE):
        links.append(("imports", reverse("web:imports"), "Imports"))
        links.append(("reclaim", reverse("web:reclaim"), "Idle seats"))
    if has_any_role(user, READ):
        links.append(("notifications", reverse("web:notifications"), "Notifications"))
    if has_any_role(user, (ROLLOUT_MANAGER, FINANCE)):
        links.append(("vendor", reverse("web:vendor"), "Vendor"))
    return {
        "nav_links": links,
        "nav_current": current,
        "nav_roles": roles,
        "nav_has_role": bool(roles),
        "scope_all": scope.is_all,
    }


def page_contract(request) -> Contract:
    """The contract a page is about: `?contract=<id>` or else the first active contract (the
    API's seat counts likewise default to the one active contract). 404 when there is none."""
    raw = request.GET.get("contract")
    contracts = Contract.objects.order_by("-is_active", "start_date", "id")
    if raw:
        if not raw.isdigit():
            raise Http404("No such contract.")
        return get_object_or_404(contracts, pk=int(raw))
    contract = contracts.first()
    if contract is None:
        raise Http404("No contract has been set up yet.")
    return contract


def home(request):
    """Send each role to the page it most likely came for."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(reverse("web:login"))
    if has_any_role(user, (FINANCE, API_READER)):
        return HttpResponseRedirect(reverse("web:finance"))
    if has_role(user, ROLLOUT_MANAGER):
        return HttpResponseRedirect(reverse("web:timeline"))
    if has_role(user, AGENCY_COORDINATOR):
        return HttpResponseRedirect(reverse("web:seats"))
    return HttpResponseRedirect(reverse("web:no-role"))


# ---------------------------------------------------------------------------------------------
# Seat counts
# ---------------------------------------------------------------------------------------------


def quotas_by_agency(contract: Contract, scope: AgencyScope) -> dict[str, int]:
    """Seat quota per agency code: the quotas of its cohorts under the contract, cancelled cohorts
    and cancelled waves left out (one query)."""
    cohorts = (
        Cohort.objects.filter(wave__contract=contract)
        .exclude(status=CohortStatus.CANCELLED)
        .exclude(wave__status=WaveStatus.CANCELLED)
    )
    rows = scope.filter(cohorts).values("agency__code").annotate(quota=Sum("seat_quota"))
    return {row["agency__code"]: row["quota"] for row in rows.order_by()}


def agency_seat_counts(contract: Contract, scope: AgencyScope) -> dict:
    """The API's `/api/v1/seat-counts/?group_by=agency` answer for the caller's scope, now."""
    return seat_counts(contract_id=contract.pk, group_by="agency", as_of=None, scope=scope)


def seat_bar(row: dict, quota: int | None) -> str:
    """The stacked bar of one agency's seats against its headcount, the quota marked."""
    headcount = row.get("headcount", 0)
    segments = [charts.Segment(row[state], css, label) for state, css, label in BAR_STATES]
    markers = [charts.Marker(quota, "quota", "Quota")] if quota else []
    words = ", ".join(f"{row[state]:,} {label.lower()}" for state, _, label in BAR_STATES)
    quota_words = f"; quota {quota:,}" if quota else "; no quota"
    label = f"{row['label']}: {words} of {headcount:,} staff{quota_words}"
    return charts.stacked_bar(segments, scale=headcount, markers=markers, label=label)


def legend_items() -> list[dict]:
    items = [{"svg": charts.swatch(f"seg {css}"), "label": label} for _, css, label in BAR_STATES]
    items.append(
        {
            "svg": charts.swatch("marker quota", shape="line"),
            "label": "Quota (sum of the agency's cohort quotas)",
        }
    )
    items.append({"svg": charts.swatch("track"), "label": "Rest of the headcount"})
    return items


class SeatCountsPage(PageMixin, TemplateView):
    """Per agency: active, approved, requested, held and suspended seats as bars against the
    headcount, the quota marked. The counts are the API's `/api/v1/seat-counts/?group_by=agency`
    answer, computed by the same selector with the caller's scope."""

    template_name = "agencies/seat_counts.html"
    nav = "seats"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = page_contract(self.request)
        scope = agency_scope(self.request)
        counts = agency_seat_counts(contract, scope)
        quotas = quotas_by_agency(contract, scope)
        rows = []
        for row in counts["results"]:
            quota = quotas.get(row["key"], 0)
            open_seats = sum(row[s] for s, _, _ in BAR_STATES)
            rows.append(
                {
                    **row,
                    "quota": quota,
                    "open": open_seats,
                    "bar": seat_bar(row, quota),
                    "url": reverse("web:agency", kwargs={"code": row["key"]}),
                    "active_share": (row["active"] / row["headcount"] * 100)
                    if row.get("headcount")
                    else None,
                }
            )
        totals = dict(counts["totals"])
        totals["quota"] = sum(r["quota"] for r in rows)
        totals["open"] = sum(r["open"] for r in rows)
        context.update(
            contract=contract,
            counts=counts,
            as_of=dt.date.fromisoformat(counts["as_of"]),
            rows=rows,
            totals=totals,
            legend=legend_items(),
            exports=export_links(
                self.request.user,
                ("seats", "seats", {"contract": contract.number}),
                ("seat-events", "seat history", {"contract": contract.number}),
            ),
            api_url=f"{reverse('seat-counts')}?{urlencode({'contract': contract.pk})}"
            if _has_route("seat-counts")
            else "",
        )
        return context


def _has_route(name: str) -> bool:
    try:
        reverse(name)
    except Exception:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# One agency
# ---------------------------------------------------------------------------------------------

SEAT_FILTERS = [("", "Everyone"), ("none", "No seat")] + [
    (value, label) for value, label in SeatStatus.choices
]


class AgencyPage(PageMixin, TemplateView):
    """One agency: its seat counts (as the API counts them), its cohorts with their readiness
    gates and latest job, and its people's seat states, 50 to a page."""

    template_name = "agencies/agency.html"
    nav = "seats"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        scope = agency_scope(request)
        agency = get_object_or_404(
            scope.filter(Agency.objects.select_related("parent"), "id"), code=kwargs["code"]
        )
        contract = page_contract(request)
        mine = AgencyScope(frozenset({agency.pk}))
        counts = agency_seat_counts(contract, mine)
        row = counts["results"][0] if counts["results"] else None
        quota = quotas_by_agency(contract, mine).get(agency.code, 0)

        may_request = (
            has_any_role(request.user, REQUEST_SEATS)
            and seat_request_scope(request).allows(agency.pk)
            and contract.is_active
        )
        context.update(
            agency=agency,
            contract=contract,
            row=row,
            quota=quota,
            bar=seat_bar(row, quota) if row else "",
            legend=legend_items(),
            cohorts=self.cohorts(contract, agency),
            may_request=may_request,
            request_form=self.request_form(agency, contract) if may_request else None,
            exports=export_links(
                request.user,
                ("seats", "seats", {"contract": contract.number, "agency": agency.code}),
                ("employees", "people", {"agency": agency.code}),
                ("chargeback", "chargeback", {"contract": contract.number, "agency": agency.code}),
            ),
            **self.people(contract, agency),
        )
        return context

    def request_form(self, agency: Agency, contract: Contract):
        """The cohort and reason fields of the seat request under the people table (the people
        are the table's tick boxes)."""
        # Imported here: the form uses the console kit, which imports this module's PageMixin.
        from .forms import SelectedPeopleForm, agency_cohorts

        return SelectedPeopleForm(
            people=Employee.objects.none(),
            cohorts=agency_cohorts(agency.pk, contract),
            names=False,
        )

    def cohorts(self, contract: Contract, agency: Agency) -> list[dict]:
        """The agency's cohorts under the contract, each with its gates (the rollout selectors'
        figures) and its latest job."""
        latest_job = Job.objects.filter(cohort=OuterRef("pk")).order_by("-created_at", "-id")
        cohorts = list(
            Cohort.objects.filter(agency=agency, wave__contract=contract)
            .select_related("wave")
            .annotate(
                latest_job_id=Subquery(latest_job.values("id")[:1]),
                active_seats=Count("seats", filter=Q(seats__status=SeatStatus.ACTIVE)),
                waiting_seats=Count(
                    "seats",
                    filter=Q(
                        seats__status__in=[
                            SeatStatus.REQUESTED,
                            SeatStatus.APPROVED,
                            SeatStatus.HELD,
                        ]
                    ),
                ),
            )
            .order_by("wave__number")
        )
        jobs = Job.objects.select_related("requested_by").in_bulk(
            [c.latest_job_id for c in cohorts if c.latest_job_id]
        )
        out = []
        for cohort in cohorts:
            readiness = next(
                (r for r in wave_readiness(cohort.wave) if r.cohort_id == cohort.pk), None
            )
            gates = cohort_gates(readiness) if readiness else []
            job = jobs.get(cohort.latest_job_id)
            out.append(
                {
                    "cohort": cohort,
                    "gates": gates,
                    "failing": [g for g in gates if not g.is_met],
                    "job": job,
                    "job_percent": round(job.done / job.total * 100) if job and job.total else None,
                    "quota_percent": min(100, round(cohort.active_seats / cohort.seat_quota * 100))
                    if cohort.seat_quota
                    else None,
                }
            )
        return out

    def people(self, contract: Contract, agency: Agency) -> dict:
        """The agency's employees with the state of their seat under the contract, filtered by
        that state and a search, 50 to a page: a count, the page, and its seats (three
        queries)."""
        request = self.request
        personal = personal_scope(request).allows(agency.pk)
        seats = Seat.objects.filter(contract=contract, employee=OuterRef("pk"))
        employees = Employee.objects.filter(agency=agency).annotate(
            open_status=Subquery(seats.exclude(status=SeatStatus.REVOKED).values("status")[:1]),
            had_seat=Exists(seats),
        )
        state = request.GET.get("state", "")
        if state == "none":
            employees = employees.filter(had_seat=False)
        elif state == SeatStatus.REVOKED:
            employees = employees.filter(had_seat=True, open_status__isnull=True)
        elif state in SeatStatus.values:
            employees = employees.filter(open_status=state)
        else:
            state = ""
        query = request.GET.get("q", "").strip()[:100]
        if query:
            match = Q(employee_number__iexact=query)
            if personal:
                match |= Q(last_name__icontains=query) | Q(first_name__icontains=query)
            employees = employees.filter(match)
        order = ("last_name", "first_name", "employee_number") if personal else ("employee_number",)
        employees = (
            employees.select_related("bargaining_unit")
            .prefetch_related(
                Prefetch(
                    "seats",
                    queryset=Seat.objects.filter(contract=contract).order_by("-created_at", "-id"),
                    to_attr="contract_seats",
                )
            )
            .order_by(*order)
        )
        paginator = Paginator(employees, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        people = []
        for employee in page.object_list:
            seat = next(
                (s for s in employee.contract_seats if s.status != SeatStatus.REVOKED), None
            )
            if seat is None and employee.contract_seats:
                seat = employee.contract_seats[0]
            open_seat = seat is not None and seat.status != SeatStatus.REVOKED
            people.append(
                {
                    "employee": employee,
                    "seat": seat,
                    "eligible": not open_seat
                    and employee.employment_status != EmploymentStatus.SEPARATED,
                    "url": reverse("web:person", kwargs={"pk": employee.pk}),
                }
            )
        keep = {k: v for k, v in (("state", state), ("q", query)) if v}
        if "contract" in request.GET:
            keep["contract"] = request.GET["contract"]
        return {
            "people": people,
            "page_obj": page,
            "paginator": paginator,
            "personal": personal,
            "state": state,
            "query": query,
            "seat_filters": SEAT_FILTERS,
            "keep_query": urlencode(keep),
        }
