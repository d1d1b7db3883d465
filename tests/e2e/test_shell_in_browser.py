"""The site's shell in a real browser (headless Chromium): every page that exists, as each role
and as a visitor, at 1440 and 390 px, with axe-core finding nothing, nothing wider than the
window and a screenshot kept (artifacts/screenshots/a11y-*.png); the account without a role
logging out; the timeline on a phone opening at today; forms opening at their first error and
results surviving a reload.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is missing."""

from __future__ import annotations

import pytest

from rollout.models import Cohort
from tests.e2e.conftest import DESKTOP, MISSING, NO_ROLE_USER, PASSWORD, PHONE, SCREENSHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

VIEWPORTS = ((DESKTOP, "desktop"), (PHONE, "phone"))


def whatif_path(contract) -> str:
    cohort = Cohort.objects.get(wave__number=5, agency__code="DDS")
    return f"/contracts/{contract.pk}/what-if/?quota_cohort={cohort.pk}&quota_seats=30000"


def role_pages(username: str, contract) -> list[tuple[str, str, int]]:
    """(path, name, status) of every page that exists, as the role meets them: its own pages,
    a page its role may not open (403), another agency (404) and a missing address (404)."""
    dashboard = f"/contracts/{contract.pk}/"
    common = [
        ("/rollout/timeline/", "timeline", 200),
        ("/seats/", "seat-counts", 200),
        ("/accounts/logout/", "logout-confirm", 200),
        ("/no-such-page/", "not-found", 404),
    ]
    own = {
        "finance.e2e": [
            (dashboard, "dashboard", 200),
            (whatif_path(contract), "whatif", 200),
            ("/agencies/EOHHS/", "agency", 200),
        ],
        "manager.e2e": [
            (dashboard, "dashboard", 200),
            (whatif_path(contract), "whatif", 200),
            ("/agencies/DPH/", "agency", 200),
        ],
        "coordinator.e2e": [
            ("/agencies/DOR/", "agency", 200),
            (dashboard, "forbidden", 403),
            ("/agencies/EOTSS/", "other-agency", 404),
        ],
        "reader.e2e": [
            (dashboard, "dashboard", 200),
            ("/agencies/DOR/", "agency", 200),
            (whatif_path(contract), "forbidden", 403),
        ],
    }
    return own[username] + common


@pytest.mark.parametrize(
    "username", ["finance.e2e", "manager.e2e", "coordinator.e2e", "reader.e2e"]
)
def test_every_page__each_role_at_1440_and_390__axe_clean_and_fits(visit, demo, username):
    # Given the role signed in at laptop and at phone width
    for viewport, label in VIEWPORTS:
        tab = visit(username, viewport, label)
        role = username.split(".")[0]
        # When it opens every page it can meet, Then axe finds nothing and nothing overflows
        for path, name, status in role_pages(username, demo):
            tab.review(path, f"a11y-{role}-{name}", status)
            assert tab.page.locator('form[action="/accounts/logout/"] button').count() >= 1


def test_visitor_and_no_role_pages__at_1440_and_390__axe_clean_and_fit(visit, demo):
    for viewport, label in VIEWPORTS:
        # A visitor: the login page, a failed sign-in, a missing address
        visitor = visit(None, viewport, label)
        visitor.review("/accounts/login/", "a11y-visitor-login")
        visitor.page.fill("#id_username", "finance.e2e")
        visitor.page.fill("#id_password", "wrong")
        visitor.submit("button[type=submit]")
        visitor.assert_accessible()
        visitor.assert_fits()
        visitor.shot("a11y-visitor-login-failed")
        visitor.review("/no-such-page/", "a11y-visitor-not-found", 404)

        # An account without a role: its start page, a page it may not open, the logout page
        nobody = visit(NO_ROLE_USER, viewport, label)
        assert nobody.page.url.endswith("/accounts/no-role/")
        nobody.review("/accounts/no-role/", "a11y-no-role")
        nobody.review("/seats/", "a11y-no-role-forbidden", 403)
        nobody.review("/accounts/logout/", "a11y-no-role-logout-confirm")


def test_no_role_user__signs_in__reads_why_and_logs_out(visit, demo):
    # Given an account nobody has given a role, signing in on a phone
    tab = visit(NO_ROLE_USER, PHONE, "phone")

    # Then it lands on a page saying an administrator must grant a role, with no menu
    assert tab.page.url.endswith("/accounts/no-role/")
    assert "An administrator must grant your account a role" in tab.page.inner_text("main")
    assert tab.page.locator('nav[aria-label="Main"]').count() == 0

    # When it presses the page's logout button
    tab.submit('main button:has-text("Log out")')

    # Then it is signed out, on the login page that says so, and pages ask it to sign in
    assert tab.page.url.endswith("/accounts/login/")
    assert "You have logged out." in tab.page.inner_text("main")
    tab.open("/seats/")
    assert "/accounts/login/?next=/seats/" in tab.page.url


def test_logout__typed_address__confirms_then_logs_out(visit, demo):
    tab = visit("manager.e2e")
    tab.open("/accounts/logout/")
    assert tab.page.inner_text("h1") == "Log out"
    tab.submit('main button:has-text("Log out")')
    assert tab.page.url.endswith("/accounts/login/")
    tab.open("/rollout/timeline/")
    assert "/accounts/login/" in tab.page.url


TIMELINE_GEOMETRY = """() => {
  const box = document.querySelector('.gantt-scroll');
  const chart = document.querySelector('svg.chart-gantt');
  const labels = document.querySelector('svg.gantt-labels');
  const today = chart.querySelector('.today').getBoundingClientRect();
  const b = box.getBoundingClientRect(), l = labels.getBoundingClientRect();
  const scale = chart.getBoundingClientRect().width / chart.viewBox.baseVal.width;
  const sizes = [...chart.querySelectorAll('text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  return {
    scrollLeft: box.scrollLeft, overflows: box.scrollWidth > box.clientWidth,
    today: today.left - b.left, boxWidth: b.width,
    labelsLeft: l.left - b.left, labelsRight: l.right - b.left,
    smallestText: Math.min(...sizes), pageY: window.scrollY,
  };
}"""


def test_timeline__phone__opens_scrolled_to_today_with_readable_text(visit, demo):
    # Given a rollout manager on a phone, when they open the timeline (no fragment, no script)
    tab = visit("manager.e2e", PHONE, "phone")
    tab.open("/rollout/timeline/")
    got = tab.page.evaluate(TIMELINE_GEOMETRY)

    # Then the chart's box is scrolled so today is in view, just right of the label column
    assert got["overflows"] and got["scrollLeft"] > 0, got
    assert got["labelsRight"] < got["today"] < got["boxWidth"] / 2 + got["labelsRight"], got
    # the label column stays at the box's left edge, the page itself did not jump down
    assert got["labelsLeft"] == pytest.approx(0, abs=1) and got["pageY"] == 0, got
    # and no text of the chart is drawn smaller than 12 px
    assert got["smallestText"] >= 12, got
    tab.page.locator(".gantt-scroll").screenshot(path=str(SCREENSHOTS / "timeline-today-phone.png"))

    # When the box is scrolled back to the start, the link brings today back (any browser)
    tab.page.evaluate("document.querySelector('.gantt-scroll').scrollLeft = 0")
    tab.page.click("text=Scroll the chart to today")
    again = tab.page.evaluate(TIMELINE_GEOMETRY)
    assert again["labelsRight"] < again["today"] < again["boxWidth"], again

    # At laptop width the whole chart fits: nothing to scroll, no link
    wide = visit("manager.e2e")
    wide.open("/rollout/timeline/")
    assert wide.page.evaluate(TIMELINE_GEOMETRY)["overflows"] is False
    assert not wide.page.is_visible("text=Scroll the chart to today")


def in_view(tab, selector: str) -> bool:
    box = tab.page.locator(selector).bounding_box()
    height = tab.page.evaluate("window.innerHeight")
    return box is not None and -1 <= box["y"] < height  # a fragment lands within a pixel


def test_forms__phone__open_at_first_error_and_results_reload(visit, demo):
    # Login: a wrong password shows the summary in view, focus in the username field
    visitor = visit(None, PHONE, "phone")
    visitor.open("/accounts/login/")
    visitor.page.fill("#id_username", "finance.e2e")
    visitor.page.fill("#id_password", PASSWORD + "-wrong")
    visitor.submit("button[type=submit]")
    assert in_view(visitor, ".error-summary")
    assert visitor.page.evaluate("document.activeElement.id") == "id_username"

    # What-if: a shift without its days opens at the error summary, far down the dashboard
    tab = visit("finance.e2e", PHONE, "phone")
    tab.open(f"/contracts/{demo.pk}/")
    tab.page.select_option("#id_shift_wave", index=1)
    tab.submit("text=Redraw the curve", 400)
    assert tab.page.url.endswith("#whatif-result")
    assert in_view(tab, "#whatif-result") and tab.page.evaluate("window.scrollY") > 0
    assert "Give the number of days" in tab.page.inner_text("#whatif-result")
    tab.assert_accessible()
    tab.shot("whatif-error")
    # a reload asks the same address again: the same answer, never a 405
    tab.reload(400)

    # A valid what-if: the result fits the phone, and a reload gives the same figures
    tab.page.fill("#id_shift_days", "30")
    tab.submit("text=Redraw the curve")
    assert in_view(tab, "#whatif-result")
    shown = tab.figure('[data-figure="whatif_projected_total"]')
    tab.assert_fits()
    compare = tab.page.evaluate(
        "(() => { const b = document.querySelector('table.compare').parentElement;"
        " return b.scrollWidth <= b.clientWidth; })()"
    )
    assert compare, "the what-if comparison is wider than the phone"
    tab.reload()
    assert tab.figure('[data-figure="whatif_projected_total"]') == shown
