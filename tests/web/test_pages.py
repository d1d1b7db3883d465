"""The web pages through Django's test client: who may open what, what a coordinator sees, and
that every figure on a page is the one the cost engine, the selectors and the API give."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from licensing.forecast import SetQuota, ShiftWave
from licensing.models import BillingPeriod
from licensing.services.cost import contract_cost_report, contract_forecast
from rollout.models import WaveEvent
from tests.web.conftest import at, figures

ALL_ROLES = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER)
FIGURE_ROLES = (ROLLOUT_MANAGER, FINANCE, API_READER)


def dashboard_url(world) -> str:
    return reverse("web:contract", kwargs={"pk": world["contract"].pk})


def whatif_url(world) -> str:
    return reverse("web:contract-whatif", kwargs={"pk": world["contract"].pk})


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["web:finance", "web:timeline", "web:seats", "web:home", "web:contract", "web:agency"]
)
def test_page__anonymous__redirects_to_login(client, world, name):
    kwargs = {"pk": world["contract"].pk} if name == "web:contract" else {}
    if name == "web:agency":
        kwargs = {"code": "AGA"}
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("name", ["web:timeline", "web:seats"])
def test_shared_pages__every_role__200(login, world, role, name):
    response = login(role).get(reverse(name))
    assert response.status_code == 200
    assert b'<main id="main"' in response.content


@pytest.mark.parametrize("role", ALL_ROLES)
def test_agency_page__own_or_any_agency__200(login, world, role):
    response = login(role).get(reverse("web:agency", kwargs={"code": "AGA"}))
    assert response.status_code == 200
    assert b"Agency Alpha" in response.content


@pytest.mark.parametrize("role", FIGURE_ROLES)
def test_dashboard__figure_roles__200(login, world, role):
    client = login(role)
    assert client.get(reverse("web:finance")).url == dashboard_url(world)
    assert client.get(dashboard_url(world)).status_code == 200


@pytest.mark.parametrize("role", [AGENCY_COORDINATOR, "no_role"])
def test_dashboard__coordinator_or_no_role__403(login, world, role):
    client = login(role)
    assert client.get(dashboard_url(world)).status_code == 403
    assert client.get(reverse("web:finance")).status_code == 403


@pytest.mark.parametrize("name", ["web:timeline", "web:seats"])
def test_pages__user_without_role__403(login, world, name):
    assert login("no_role").get(reverse(name)).status_code == 403


def test_agency_page__coordinator_other_agency__404(login, world):
    client = login(AGENCY_COORDINATOR)
    assert client.get(reverse("web:agency", kwargs={"code": "AGB"})).status_code == 404
    assert client.get(reverse("web:agency", kwargs={"code": "AGC"})).status_code == 404


def test_agency_page__unknown_code__404(login, world):
    assert login(FINANCE).get(reverse("web:agency", kwargs={"code": "NOPE"})).status_code == 404


def test_home__each_role__lands_on_its_page(login, world):
    assert login(FINANCE).get(reverse("web:home")).url == reverse("web:finance")
    assert login(ROLLOUT_MANAGER).get(reverse("web:home")).url == reverse("web:timeline")
    assert login(AGENCY_COORDINATOR).get(reverse("web:home")).url == reverse("web:seats")
    assert login("no_role").get(reverse("web:home")).url == reverse("web:no-role")


def test_login__real_password__lands_on_start_page(client, users):
    response = client.post(
        reverse("web:login"), {"username": "finance", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")


def test_login__wrong_password__shows_error(client, users):
    response = client.post(reverse("web:login"), {"username": "finance", "password": "nope"})
    assert response.status_code == 200
    assert b"Sign-in failed" in response.content


def test_logout__post__ends_session(login, world):
    client = login(FINANCE)
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get(reverse("web:seats")).status_code == 302


def test_nav__coordinator__no_finance_link(login, world):
    html = login(AGENCY_COORDINATOR).get(reverse("web:seats")).content.decode()
    assert reverse("web:finance") not in html
    assert 'aria-current="page"' in html


# --- the finance dashboard -------------------------------------------------------------------


def test_dashboard__figures__equal_cost_report(login, world):
    """Given the world's seat history, the dashboard's headline figures are those of
    `contract_cost_report(...).as_json()`, as the API serves them."""
    report = contract_cost_report(contract=world["contract"]).as_json()
    html = login(FINANCE).get(dashboard_url(world)).content.decode()
    shown = figures(html)
    for key in ("spend_to_date", "projected_total", "committed_total", "as_of"):
        assert shown[key] == report[key]
    assert shown["headroom_seats"] == str(report["headroom_seats"])
    assert shown["band"] == "inside"
    charges = figures(html, "data-period")
    assert charges == {p["start"]: p["amount"] for p in report["periods"]}
    chargeback = figures(html, "data-chargeback")
    assert chargeback == {(a["agency"] or ""): a["amount"] for a in report["by_agency"]}


def test_dashboard__figures__equal_api_answer(login, world):
    client = login(FINANCE)
    api = client.get(f"/api/v1/contracts/{world['contract'].pk}/cost/").json()
    shown = figures(client.get(dashboard_url(world)).content.decode())
    for key in ("spend_to_date", "projected_total", "committed_total"):
        assert shown[key] == api[key]
    assert shown["headroom_seats"] == str(api["headroom_seats"])


def test_dashboard__headroom_dollars__ceiling_less_total_without_plan(login, world):
    """Headroom in dollars is the ceiling less the total with today's seats kept to the end and
    the plan left out: the forecast with every open wave cancelled."""
    from licensing.forecast import CancelWave

    no_plan = contract_forecast(
        contract=world["contract"],
        changes=[CancelWave(world["wave1"].pk), CancelWave(world["wave2"].pk)],
    )
    shown = figures(login(FINANCE).get(dashboard_url(world)).content.decode())
    expected = world["contract"].ceiling_amount - no_plan.projected_total
    assert Decimal(shown["headroom_dollars"]) == expected


def test_dashboard__snapshot_of_today__page_shows_the_snapshot(login, world):
    """The API answers with today's snapshot when there is one; so does the page."""
    from licensing.services.cost import contract_cost_snapshot

    snapshot = contract_cost_snapshot(contract=world["contract"])
    html = login(FINANCE).get(dashboard_url(world)).content.decode()
    assert figures(html)["spend_to_date"] == snapshot.report["spend_to_date"]
    assert 'data-figure="stale" data-value="false"' in html
    assert "current with every input" in html


def test_dashboard__chart__svg_with_table_and_band_lines(login, world):
    html = login(FINANCE).get(dashboard_url(world)).content.decode()
    assert html.count('class="chart chart-curve wide"') == 1
    assert 'aria-labelledby="cost-curve-title cost-curve-desc"' in html
    assert 'class="series-actual"' in html
    assert "series-projected plan" in html
    assert "band-line floor" in html and "band-line ceiling" in html
    assert "Ceiling $3.36M" in html and "Floor $1.56M" in html
    assert "<details" in html and "Charge and cumulative spend per billing period" in html


def test_dashboard__billing_lines__listed_with_status(login, world):
    html = login(FINANCE).get(dashboard_url(world)).content.decode()
    assert "13 Feb 2026 – 12 Mar 2026" in html
    assert "Accrued" in html
    assert "Mark invoiced" in html


def test_dashboard__reader__no_what_if_and_no_marking(login, world):
    html = login(API_READER).get(dashboard_url(world)).content.decode()
    assert "Redraw the curve" not in html
    assert "Mark invoiced" not in html


def test_billing_mark__finance__confirmed_then_moves_line_forward(login, world):
    url = reverse(
        "web:billing-mark", kwargs={"pk": world["contract"].pk, "line_id": world["line"].pk}
    )
    client = login(FINANCE)
    assert client.post(url, {"status": "invoiced"}).status_code == 200  # the confirmation
    response = client.post(url, {"status": "invoiced", "confirmed": "yes"})
    assert response.status_code == 302
    assert BillingPeriod.objects.get(pk=world["line"].pk).status == "invoiced"


def test_billing_mark__backwards__refused_with_message(login, world):
    BillingPeriod.objects.filter(pk=world["line"].pk).update(status="paid")
    url = reverse(
        "web:billing-mark", kwargs={"pk": world["contract"].pk, "line_id": world["line"].pk}
    )
    response = login(FINANCE).post(url, {"status": "invoiced", "confirmed": "yes"})
    assert response.status_code == 409
    assert BillingPeriod.objects.get(pk=world["line"].pk).status == "paid"
    assert "cannot go back" in response.content.decode()


def test_billing_mark__manager__403(login, world):
    url = reverse(
        "web:billing-mark", kwargs={"pk": world["contract"].pk, "line_id": world["line"].pk}
    )
    assert login(ROLLOUT_MANAGER).post(url, {"status": "invoiced"}).status_code == 403


# --- the what-if ------------------------------------------------------------------------------


def test_whatif__raise_quota__curve_and_figures_from_contract_forecast(login, world):
    """When finance raises wave 2's AGA quota to 25,000, the page shows the forecast's figures
    and draws a what-if curve that differs from the plan's."""
    cohort = world["cohort_a2"]
    expected = contract_forecast(contract=world["contract"], changes=[SetQuota(cohort.pk, 25_000)])
    plan = contract_cost_report(contract=world["contract"])
    response = login(FINANCE).get(
        whatif_url(world), {"quota_cohort": cohort.pk, "quota_seats": "25000"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    shown = figures(html)
    assert shown["whatif_projected_total"] == expected.as_json()["projected_total"]
    assert shown["whatif_projected_total"] != plan.as_json()["projected_total"]
    assert shown["whatif_ceiling"] == (
        expected.crossings["ceiling"].isoformat() if expected.crossings["ceiling"] else ""
    )
    curves = re.findall(r'class="series-projected (\w+)"', html)
    assert "whatif" in curves and "baseline" in curves
    # Each chart (the wide one and the phone one) draws both projections, none on another.
    points = dict(re.findall(r'<polyline points="([^"]+)" class="series-projected (\w+)"', html))
    assert sorted(points.values()) == ["baseline", "baseline", "whatif", "whatif"]


def test_whatif__shift_wave__matches_forecast_service(login, world):
    wave = world["wave2"]
    expected = contract_forecast(contract=world["contract"], changes=[ShiftWave(wave.pk, 45)])
    response = login(ROLLOUT_MANAGER).get(
        whatif_url(world), {"shift_wave": wave.pk, "shift_days": "45"}
    )
    shown = figures(response.content.decode())
    assert shown["whatif_projected_total"] == expected.as_json()["projected_total"]


def test_whatif__cancel_wave__matches_api_forecast(login, world):
    client = login(FINANCE)
    api = client.post(
        f"/api/v1/contracts/{world['contract'].pk}/forecast/",
        {"changes": [{"type": "cancel_wave", "wave": world["wave2"].pk}]},
        content_type="application/json",
    ).json()
    response = client.get(whatif_url(world), {"cancel_wave": world["wave2"].pk})
    shown = figures(response.content.decode())
    assert shown["whatif_projected_total"] == api["projected_total"]
    assert shown["whatif_floor"] == (api["crossings"]["floor"] or "")


def test_whatif__no_change__400_with_message(login, world):
    empty = dict.fromkeys(("shift_wave", "shift_days", "quota_cohort", "quota_seats"), "")
    response = login(FINANCE).get(whatif_url(world), empty)
    assert response.status_code == 400
    assert "Choose at least one change" in response.content.decode()


def test_whatif__wave_of_another_contract__400(login, world):
    from tests.factories import WaveFactory

    other = WaveFactory(number=9)
    response = login(FINANCE).get(whatif_url(world), {"cancel_wave": other.pk})
    assert response.status_code == 400


def test_whatif__shift_without_days__400(login, world):
    response = login(FINANCE).get(whatif_url(world), {"shift_wave": world["wave2"].pk})
    assert response.status_code == 400
    assert "number of days" in response.content.decode()


@pytest.mark.parametrize("role", [API_READER, AGENCY_COORDINATOR])
def test_whatif__read_only_roles__403(login, world, role):
    response = login(role).get(whatif_url(world), {"cancel_wave": world["wave2"].pk})
    assert response.status_code == 403


def test_whatif__without_csrf_token__403(users, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[FINANCE])
    assert client.post(whatif_url(world), {"cancel_wave": world["wave2"].pk}).status_code == 403


def test_whatif__dashboard_get_url__post_not_allowed(login, world):
    assert login(FINANCE).post(dashboard_url(world), {}).status_code == 405


# --- the timeline -----------------------------------------------------------------------------


def test_timeline__gantt_and_failing_gates_named(login, world):
    html = login(ROLLOUT_MANAGER).get(reverse("web:timeline")).content.decode()
    assert 'class="chart chart-gantt"' in html
    assert "bar status-in_progress wave" in html and "bar status-planned wave" in html
    # Wave 2's AGA cohort has only privacy review stored (not met): every signed gate fails.
    row = html[html.index('data-failing="privacy_review') :]
    failing = row[len('data-failing="') : row.index('"', len('data-failing="'))].split(",")
    assert failing == ["privacy_review", "security_review", "union_notice", "help_desk_ready"]
    assert "failing: privacy review, security review, union notice, help desk readiness" in html
    assert "Planned" in html and "In progress" in html  # status written, not colour alone


def test_timeline__coordinator__own_cohorts_only(login, world):
    html = login(AGENCY_COORDINATOR).get(reverse("web:timeline")).content.decode()
    assert 'data-cohort="AGA"' in html
    assert 'data-cohort="AGB"' not in html
    assert ">AGB<" not in html


def test_timeline__wave_last_change__who_and_why_shown(login, world, users):
    # Given wave 1, paused by the rollout manager with a reason, then resumed by them
    wave = world["wave1"]
    manager = users[ROLLOUT_MANAGER]
    WaveEvent.objects.create(
        wave=wave,
        from_status="in_progress",
        to_status="paused",
        at=at(dt.date(2026, 6, 1)),
        actor=manager,
        reason="audit",
    )
    WaveEvent.objects.create(
        wave=wave,
        from_status="paused",
        to_status="in_progress",
        at=at(dt.date(2026, 6, 3)),
        actor=manager,
        reason="cleared",
    )

    # When the timeline is opened, the wave's latest change is named with who and why
    html = login(ROLLOUT_MANAGER).get(reverse("web:timeline")).content.decode()
    start = html.index('data-last-change="in_progress"')
    line = html[html.index(">", start) + 1 : html.index("</span>", start)]
    assert f"in progress 3 Jun 2026 by {manager.username}" in line
    assert "cleared" in line


def test_timeline__personal_calendar_link__works_without_signing_in(login, world, client):
    # Given the coordinator's timeline page, where they make their private calendar link
    client = login(AGENCY_COORDINATOR)
    assert client.post(reverse("rollout:calendar-link")).status_code == 302
    html = client.get(reverse("web:timeline")).content.decode()
    start = html.index('id="calendar-link"')
    value = html[html.index('value="', start) + 7 :]
    link = value[: value.index('"')].replace("&amp;", "&")
    assert link.startswith("http://testserver/rollout/calendar.ics?token=")

    # When a calendar app, not signed in, fetches it
    client.logout()
    feed = client.get(link.removeprefix("http://testserver")).content.decode()

    # Then it gets the coordinator's own cohort and not the other agency's
    assert "AGA onboarding" in feed
    assert "AGB onboarding" not in feed


# --- seat counts and agency pages --------------------------------------------------------------


def test_seat_counts__figures__equal_api_seat_counts(login, world):
    client = login(FINANCE)
    api = client.get("/api/v1/seat-counts/", {"contract": world["contract"].pk}).json()
    html = client.get(reverse("web:seats")).content.decode()
    for row in api["results"]:
        start = html.index(f'<tr data-agency="{row["key"]}">')
        shown = figures(html[start : html.index("</tr>", start)], "data-count")
        for state in ("active", "approved", "requested", "held", "suspended", "revoked"):
            assert shown[state] == str(row[state]), (row["key"], state)
    totals = figures(html, "data-total")
    assert totals["active"] == str(api["totals"]["active"]) == "7"
    assert totals["held"] == "1" and totals["requested"] == "1"
    assert totals["quota"] == str(50 + 30 + 40)


def test_seat_counts__coordinator__own_agencies_only(login, world):
    html = login(AGENCY_COORDINATOR).get(reverse("web:seats")).content.decode()
    assert 'data-agency="AGA"' in html
    assert 'data-agency="AGB"' not in html and 'data-agency="AGC"' not in html


def test_seat_counts__bars__one_per_agency_with_quota_marker(login, world):
    html = login(FINANCE).get(reverse("web:seats")).content.decode()
    assert html.count('class="chart chart-bar"') == 3
    # AGC has no cohort, so no quota mark (the legend's key is drawn without the stretch fix).
    assert html.count('class="marker quota" vector-effect="non-scaling-stroke"') == 2
    assert 'aria-label="Agency Alpha: 4 active' in html


def test_agency_page__people_paginated_50(login, world):
    client = login(FINANCE)
    first = client.get(reverse("web:agency", kwargs={"code": "AGA"})).content.decode()
    second = client.get(reverse("web:agency", kwargs={"code": "AGA"}), {"page": 2})
    assert first.count("<tr data-employee=") == 50
    assert second.content.decode().count("<tr data-employee=") == 10
    assert "Page 1 of 2" in first


def test_agency_page__state_filter__active_only(login, world):
    response = login(FINANCE).get(
        reverse("web:agency", kwargs={"code": "AGA"}), {"state": "active"}
    )
    html = response.content.decode()
    assert html.count('class="badge seat-active"') == 4
    assert 'class="badge seat-held"' not in html


def test_agency_page__state_filter__no_seat(login, world):
    response = login(FINANCE).get(reverse("web:agency", kwargs={"code": "AGA"}), {"state": "none"})
    assert "54 matching employees" in response.content.decode()


def test_agency_page__cohort_gates_and_job(login, world):
    html = login(AGENCY_COORDINATOR).get(reverse("web:agency", kwargs={"code": "AGA"})).content
    html = html.decode()
    assert "Wave 1: First" in html and "Wave 2: Second" in html
    assert "4 of 4 done (100%)" in html
    assert "4 gates failing:" in html


def test_agency_page__reader__no_names(login, world):
    html = login(API_READER).get(reverse("web:agency", kwargs={"code": "AGA"})).content.decode()
    assert "FirstA" not in html and "LastA" not in html
    assert "A0000" in html
    assert "names are not shown to your role" in html


def test_agency_page__coordinator__sees_own_peoples_names(login, world):
    html = login(AGENCY_COORDINATOR).get(reverse("web:agency", kwargs={"code": "AGA"})).content
    assert b"LastA0000, FirstA0" in html


# --- what the browser is sent ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["web:timeline", "web:seats", "web:login"])
def test_headers__strict_csp_and_nosniff(login, world, name):
    response = login(FINANCE).get(reverse(name))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def pages(client, world) -> list[tuple[str, str]]:
    """(url, html) of every page as finance sees it, the login page as a visitor does."""
    urls = [
        dashboard_url(world),
        reverse("web:timeline"),
        reverse("web:seats"),
        reverse("web:agency", kwargs={"code": "AGA"}),
    ]
    out = [(url, client.get(url).content.decode()) for url in urls]
    out.append(
        (
            whatif_url(world),
            client.get(whatif_url(world), {"cancel_wave": world["wave2"].pk}).content.decode(),
        )
    )
    out.append((reverse("web:login"), Client().get(reverse("web:login")).content.decode()))
    return out


def test_markup__no_script_no_inline_style_no_foreign_url(login, world):
    for url, html in pages(login(FINANCE), world):
        assert "<script" not in html, url
        assert " style=" not in html and "<style" not in html, url
        for link in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert not re.match(r"^(https?:)?//", link), (url, link)


def test_markup__skip_link_labels_and_landmarks(login, world):
    for url, html in pages(login(FINANCE), world):
        assert '<a class="skip-link" href="#main">' in html, url
        assert '<main id="main"' in html and '<html lang="en">' in html, url
        for field_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, (url, field_id)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (url, sorted({i for i in ids if ids.count(i) > 1}))


def test_dashboard__unpriceable_terms__409_page_naming_the_fault(login, world):
    world["contract"].tiers.filter(max_seats__isnull=True).delete()
    response = login(FINANCE).get(dashboard_url(world))
    assert response.status_code == 409
    assert "the last tier must be open" in response.content.decode()
