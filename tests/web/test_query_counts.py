"""Every page runs a fixed number of queries whatever the size of the workforce: the counts measured
on a small demo are the ceiling (`django_assert_max_num_queries`) once the demo is four times as
big. The full 40,000-employee figures are in docs/pages.md."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.demo import demo_seed
from agencies.models import Agency, Employee
from config.roles import AGENCY_COORDINATOR, FINANCE, ROLES, ROLLOUT_MANAGER
from licensing.models import Contract
from licensing.services.cost import billing_periods_close, contract_cost_snapshot
from rollout.models import Cohort
from tests.web.conftest import TODAY, make_user


def seed(scale: float) -> Contract:
    demo_seed(scale=scale, as_of=TODAY)
    contract = Contract.objects.get()
    billing_periods_close(contract=contract)
    contract_cost_snapshot(contract=contract)
    return contract


def requests(contract: Contract) -> list[tuple[str, str, str, dict | None]]:
    """(role, method, url, data) of every page, the what-if included."""
    dashboard = reverse("web:contract", kwargs={"pk": contract.pk})
    whatif = reverse("web:contract-whatif", kwargs={"pk": contract.pk})
    cohort = Cohort.objects.filter(wave__number=5, agency__code="DDS").get()
    agency = reverse("web:agency", kwargs={"code": "DOR"})
    # DOR's first employee: a person with a seat and its history, at either scale.
    person = Employee.objects.filter(agency__code="DOR").order_by("employee_number").first()
    return [
        (FINANCE, "get", dashboard, None),
        (FINANCE, "get", whatif, {"quota_cohort": cohort.pk, "quota_seats": "30000"}),
        (ROLLOUT_MANAGER, "get", reverse("web:timeline"), None),
        (AGENCY_COORDINATOR, "get", reverse("web:timeline"), None),
        (FINANCE, "get", reverse("web:seats"), None),
        (AGENCY_COORDINATOR, "get", reverse("web:seats"), None),
        (FINANCE, "get", agency, None),
        (FINANCE, "get", f"{agency}?page=2", None),
        (AGENCY_COORDINATOR, "get", f"{agency}?state=held", None),
        (ROLLOUT_MANAGER, "get", reverse("web:person", kwargs={"pk": person.pk}), None),
        (AGENCY_COORDINATOR, "get", reverse("web:person", kwargs={"pk": person.pk}), None),
        (ROLLOUT_MANAGER, "get", reverse("web:imports"), None),
        # The rollout console (the activation preview writes a job row, which the wave page
        # would then list: it is counted in docs/benchmarks.md, section console_pages)
        (ROLLOUT_MANAGER, "get", reverse("web:wave", kwargs={"pk": cohort.wave_id}), None),
        (AGENCY_COORDINATOR, "get", reverse("web:wave", kwargs={"pk": cohort.wave_id}), None),
        (ROLLOUT_MANAGER, "get", reverse("web:cohort", kwargs={"pk": cohort.pk}), None),
        (
            ROLLOUT_MANAGER,
            "post",
            reverse("web:wave-action", kwargs={"pk": cohort.wave_id, "action": "pause"}),
            {"reason": "count the queries"},
        ),
        (ROLLOUT_MANAGER, "get", reverse("web:reclaim"), None),
    ]


def call(client, users, role, method, url, data):
    client.force_login(users[role])
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code == 200, (role, url)
    return response


def test_pages__demo_grows_fourfold__query_counts_do_not_grow(
    client, db, django_assert_max_num_queries
):
    """Given the demo at scale 0.005 (200 people), each page's query count is measured; at
    scale 0.02 (800 people, four times the seats and events) no page may need more."""
    contract = seed(0.005)
    small_people = Employee.objects.count()
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    users = {
        FINANCE: make_user("qc-finance", FINANCE),
        ROLLOUT_MANAGER: make_user("qc-manager", ROLLOUT_MANAGER),
        AGENCY_COORDINATOR: make_user(
            "qc-coordinator", AGENCY_COORDINATOR, Agency.objects.filter(code__in=["DOR", "DDS"])
        ),
    }
    counts = []
    for role, method, url, data in requests(contract):
        with CaptureQueriesContext(connection) as captured:
            call(client, users, role, method, url, data)
        counts.append(len(captured))

    contract = seed(0.02)
    assert Employee.objects.count() >= 4 * small_people - 20
    for ceiling, (role, method, url, data) in zip(counts, requests(contract), strict=True):
        with django_assert_max_num_queries(ceiling):
            call(client, users, role, method, url, data)
