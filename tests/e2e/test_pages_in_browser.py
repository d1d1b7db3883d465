"""The pages in a real browser (headless Chromium), as each role: log in, open every page, check
the key figures against the API, run a what-if, and keep screenshots at laptop and phone widths
in artifacts/screenshots/. No request may leave 127.0.0.1 and the console must stay clean.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is missing
(`.ci/browser` installs both). The demo is seeded at `SEATPLAN_E2E_SCALE` (default 0.02, about
800 people) as it stands on 29 Nov 2026, with "today" pinned to that day."""

from __future__ import annotations

import pytest

from rollout.models import Cohort, Wave
from tests.e2e.conftest import MISSING, PHONE

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]


def money_text(amount: str) -> str:
    return f"${float(amount):,.2f}"


def check_dashboard(tab, contract) -> dict:
    """The headline figures, the curve's points and the chargeback equal the API's answer."""
    tab.open(f"/contracts/{contract.pk}/")
    api = tab.api(f"/api/v1/contracts/{contract.pk}/cost/")
    for key in ("spend_to_date", "projected_total", "committed_total"):
        assert tab.figure(f'[data-figure="{key}"]') == api[key], key
        shown = tab.page.inner_text(f'[data-figure="{key}"]')
        assert shown == money_text(api[key]), (key, shown)
    assert tab.figure('[data-figure="headroom_seats"]') == str(api["headroom_seats"])
    for period in api["periods"]:
        assert tab.figure(f'[data-period="{period["start"]}"]') == period["amount"]
    for line in api["by_agency"]:
        cell = f'[data-chargeback="{line["agency"] or ""}"]'
        assert tab.figure(cell) == line["amount"], line
    assert tab.page.is_visible("svg.chart-curve.wide") or tab.page.is_visible(
        "svg.chart-curve.compact"
    )
    return api


def run_whatif(tab, contract) -> None:
    """Raise a wave-5 cohort's quota to 30,000 through the form: the result equals the API's
    forecast of the same change and the what-if curve is drawn over the plan's."""
    cohort = Cohort.objects.get(wave__number=5, agency__code="DDS")
    tab.page.select_option("#id_quota_cohort", str(cohort.pk))
    tab.page.fill("#id_quota_seats", "30000")
    with tab.page.expect_navigation():
        tab.page.click("text=Redraw the curve")
    forecast = tab.api(
        f"/api/v1/contracts/{contract.pk}/forecast/",
        "post",
        data={"changes": [{"type": "set_quota", "cohort": cohort.pk, "seat_quota": 30000}]},
    )
    shown = tab.figure('[data-figure="whatif_projected_total"]')
    assert shown == forecast["projected_total"]
    plan = tab.figure('[data-figure="projected_total"]')
    assert shown != plan, "the what-if should change the projection"
    assert tab.figure('[data-figure="whatif_ceiling"]') == (forecast["crossings"]["ceiling"] or "")
    assert tab.page.locator("polyline.series-projected.whatif").count() == 2
    assert tab.page.locator("polyline.series-projected.baseline").count() == 2
    assert "onboards" in tab.page.inner_text("#whatif-result-title") or "quota" in (
        tab.page.inner_text("#whatif-result-title")
    )


def check_seat_counts(tab, contract) -> dict:
    tab.open("/seats/")
    api = tab.api(f"/api/v1/seat-counts/?contract={contract.pk}&group_by=agency")
    shown_rows = tab.page.locator("table.counts tbody tr")
    assert shown_rows.count() == len(api["results"])
    for row in api["results"]:
        for state in ("active", "approved", "requested", "held", "suspended", "revoked"):
            cell = f'tr[data-agency="{row["key"]}"] [data-count="{state}"]'
            assert tab.figure(cell) == str(row[state]), (row["key"], state)
    assert tab.figure('[data-total="active"]') == str(api["totals"]["active"])
    return api


def test_finance__every_page__figures_match_api_and_what_if_redraws(visit, demo):
    tab = visit("finance.e2e")
    check_dashboard(tab, demo)
    tab.shot("finance-dashboard")
    run_whatif(tab, demo)
    tab.shot("finance-whatif")
    check_seat_counts(tab, demo)
    tab.shot("finance-seat-counts")
    tab.open("/rollout/timeline/")
    assert tab.page.locator("svg.chart-gantt").count() == 1
    tab.shot("finance-timeline")
    tab.open("/agencies/EOHHS/")
    assert tab.page.locator("table.people tbody tr").count() == 50
    tab.shot("finance-agency")

    phone = visit("finance.e2e", PHONE, "phone")
    check_dashboard(phone, demo)
    assert phone.page.is_visible("svg.chart-curve.compact")
    assert not phone.page.is_visible("svg.chart-curve.wide")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard is {width}px wide on a phone"
    phone.shot("finance-dashboard")
    run_whatif(phone, demo)
    phone.shot("finance-whatif")
    check_seat_counts(phone, demo)
    phone.shot("finance-seat-counts")


def test_rollout_manager__timeline_names_failing_gates__shift_a_wave(visit, demo):
    tab = visit("manager.e2e")
    tab.open("/rollout/timeline/")
    wave5 = Wave.objects.get(contract=demo, number=5)
    # DPH, DMH and DDS onboard after today with under 80% trained: their training gate fails.
    for code in ("DPH", "DMH", "DDS"):
        failing = tab.page.get_attribute(f'tr[data-cohort="{code}"] .gate-summary', "data-failing")
        assert "training_threshold" in failing.split(","), code
    assert "failing: training" in tab.page.text_content("svg.chart-gantt")
    assert tab.page.locator(".legend li").count() >= 11
    tab.shot("manager-timeline")

    tab.open(f"/contracts/{demo.pk}/")
    tab.page.select_option("#id_shift_wave", str(wave5.pk))
    tab.page.fill("#id_shift_days", "60")
    with tab.page.expect_navigation():
        tab.page.click("text=Redraw the curve")
    forecast = tab.api(
        f"/api/v1/contracts/{demo.pk}/forecast/",
        "post",
        data={"changes": [{"type": "shift_wave", "wave": wave5.pk, "days": 60}]},
    )
    assert tab.figure('[data-figure="whatif_projected_total"]') == forecast["projected_total"]
    tab.shot("manager-whatif")

    phone = visit("manager.e2e", PHONE, "phone")
    phone.open("/rollout/timeline/")
    phone.shot("manager-timeline")


def test_coordinator__own_agencies_only(visit, demo):
    tab = visit("coordinator.e2e")
    api = check_seat_counts(tab, demo)
    assert sorted(r["key"] for r in api["results"]) == ["DOR", "EOHHS"]
    tab.shot("coordinator-seat-counts")
    tab.open("/agencies/DOR/")
    assert "Department of Revenue" in tab.page.inner_text("h1")
    names = tab.page.locator("table.people tbody th").first.inner_text()
    assert "," in names  # "Last, First": a coordinator reads their own people's names
    tab.shot("coordinator-agency")
    tab.open("/rollout/timeline/")
    cohorts = sorted(
        tab.page.locator("tr[data-cohort]").evaluate_all("rows => rows.map(r => r.dataset.cohort)")
    )
    assert cohorts == ["DOR", "EOHHS"]
    tab.page.click("#calendar-title ~ form button")
    tab.page.wait_for_url("**/rollout/timeline/**")
    link = tab.page.input_value("#calendar-link")
    assert "/rollout/calendar.ics?token=" in link
    tab.shot("coordinator-timeline")
    assert tab.status_of("/agencies/EOTSS/") == 404
    assert tab.status_of(f"/contracts/{demo.pk}/") == 403
    assert tab.page.locator('nav[aria-label="Main"] a', has_text="Finance").count() == 0

    phone = visit("coordinator.e2e", PHONE, "phone")
    phone.open("/agencies/EOHHS/")
    phone.shot("coordinator-agency")


def test_api_reader__figures_without_what_if_or_names(visit, demo):
    tab = visit("reader.e2e")
    check_dashboard(tab, demo)
    assert tab.page.locator("#whatif").count() == 0
    tab.shot("reader-dashboard")
    tab.open("/agencies/DOR/")
    first = tab.page.locator("table.people tbody th").first.inner_text()
    assert first.startswith("E") and "," not in first  # employee numbers only
    tab.shot("reader-agency")


def test_keyboard__skip_link_then_focus_on_main(visit, demo):
    tab = visit("finance.e2e")
    tab.open("/seats/")
    tab.page.keyboard.press("Tab")
    focused = tab.page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert tab.page.is_visible(".skip-link")
    tab.page.keyboard.press("Enter")
    assert tab.page.evaluate("document.activeElement.id") == "main"
