"""The people, uploads and billing consoles in a real browser (headless Chromium), each as the
role that uses it: a rollout manager overrides a bargaining hold with a reason and uploads a
roster with errors and then a good one; finance marks a billing line paid and undoes it; a
coordinator requests seats for people ticked on their agency's page. Every page these flows add
is checked with axe-core (zero violations) at 1440 px and 390 px, and screenshots are saved to
artifacts/screenshots/console-*.png.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is missing. The demo
is the shared one of tests/e2e/conftest.py (scale 0.02, "today" pinned to 29 Nov 2026)."""

from __future__ import annotations

import pytest

from agencies.models import Agency, Employee
from core.models import Job
from licensing.models import BillingPeriod, Seat, SeatEvent
from rollout.models import Cohort
from tests.e2e.conftest import MISSING, PHONE, TODAY

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

WIDE = {"width": 1440, "height": 900}
ROSTER_HEADER = "employee_number,email,first_name,last_name,agency_code,job_title,employment_status"
BAD_ROSTER = (
    f"{ROSTER_HEADER}\r\n"
    "Z90001,zoe.park@example.gov,Zoe,Park,DOR,Analyst,active\r\n"
    "Z90002,not-an-address,Yan,Ortiz,NOPE,Analyst,on strike\r\n"
)
GOOD_ROSTER = (
    f"{ROSTER_HEADER}\r\n"
    "Z90001,zoe.park@example.gov,Zoe,Park,DOR,Analyst,active\r\n"
    "Z90002,yan.ortiz@example.gov,Yan,Ortiz,DOR,Analyst,active\r\n"
)


def check(tab, name: str) -> None:
    """axe-core finds nothing, the page fits the viewport's width, and a screenshot is kept."""
    tab.assert_accessible()
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    viewport = tab.page.viewport_size["width"]
    assert width <= viewport, f"{tab.page.url} is {width}px wide at {viewport}px"
    tab.shot(f"console-{name}")


def submit(tab, label: str, status: int = 200) -> None:
    """Press a form's button and wait for the page it leads to. A form refused on purpose
    (400: invalid input) is logged by Chromium as a failed resource; that one expected line is
    taken off the tab's console errors, so any other still fails the test."""
    with tab.page.expect_navigation() as navigation:
        tab.page.get_by_role("button", name=label).click()
    assert navigation.value.status == status, (tab.page.url, navigation.value.status)
    if status >= 400:
        expected = f"the server responded with a status of {status}"
        found = next(e for e in tab.errors if expected in e)
        tab.errors.remove(found)


def upload(tab, content: str, name: str) -> None:
    tab.open("/imports/roster/")
    tab.page.set_input_files(
        "#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}]
    )
    submit(tab, "Upload and preview")


def test_manager__override_a_hold_with_a_reason(visit, demo):
    # Given a seat held for bargaining, of a trained person whose agency onboards in the
    # running wave (so nothing but the hold stands in the way)
    running = Cohort.objects.filter(wave__status="in_progress").values("agency")
    seat = (
        Seat.objects.filter(
            status="held",
            agency__in=running,
            employee__bargaining_unit__isnull=False,
            employee__employment_status="active",
            employee__training_completed_on__isnull=False,
            employee__policy_acknowledged_on__isnull=False,
        )
        .select_related("employee__bargaining_unit")
        .order_by("id")
        .first()
    )
    unit = seat.employee.bargaining_unit
    person = f"/people/{seat.employee_id}/"
    tab = visit("manager.e2e", WIDE, "wide")

    # When the manager opens the person's page, it names the unit that holds the seat and why
    tab.open(person)
    hold = tab.page.locator(".notice.hold").first.inner_text()
    assert f"Held by {unit.code}" in hold and unit.union in hold
    check(tab, "person-held")

    # And the override asks for a reason first: an empty one opens at the error summary
    tab.page.locator(f'[data-seat="{seat.pk}"] [data-action="override"]').click()
    tab.page.wait_for_url(f"**/seats/{seat.pk}/override/")
    check(tab, "override-form")
    submit(tab, "Review the override", status=400)
    assert tab.page.url.endswith("#errors")
    assert tab.page.is_visible("#errors")
    check(tab, "override-invalid")

    # When a reason is written, the confirmation warns that it overrides the hold
    tab.page.fill("#id_reason", "Union agreed on 28 Nov; memo EOTSS-2026-311")
    submit(tab, "Review the override")
    assert "This overrides a bargaining hold." in tab.page.inner_text("main")
    check(tab, "override-confirm")
    submit(tab, "Override the hold and activate")

    # Then the person's page shows the seat active, the override recorded with its reason
    assert tab.page.url.endswith(f"{person}#seats")
    assert "is now active" in tab.page.inner_text(".messages")
    history = tab.page.locator("table.history").first.inner_text()
    assert "Override of bargaining hold: Union agreed on 28 Nov" in history
    assert Seat.objects.get(pk=seat.pk).status == "active"

    phone = visit("manager.e2e", PHONE, "phone")
    phone.open(person)
    check(phone, "person-active")
    other = Seat.objects.filter(status="active").exclude(pk=seat.pk).order_by("id").first()
    phone.open(f"/seats/{other.pk}/suspend/")
    check(phone, "suspend-form")


def test_manager__upload_a_roster_with_errors_then_a_good_one(visit, demo):
    tab = visit("manager.e2e", WIDE, "wide")
    tab.open("/imports/")
    check(tab, "imports")

    # When a roster with an unknown agency, a bad address and a bad status is uploaded
    upload(tab, BAD_ROSTER, "roster-with-errors.csv")

    # Then its page lists each rejected row's line, column and reason, and offers no import
    assert tab.page.get_attribute("[data-outcome]", "data-outcome") == "rejected"
    rows = tab.page.locator("table.row-errors tbody tr").all_inner_texts()
    assert any(r.startswith("3\temail") for r in rows), rows
    assert any(r.startswith("3\tagency_code") and "NOPE" in r for r in rows), rows
    assert tab.page.get_by_role("button", name="Import this roster").count() == 0
    check(tab, "roster-rejected")

    # When the corrected file is uploaded, the preview counts two new people and writes nothing
    upload(tab, GOOD_ROSTER, "roster.csv")
    assert tab.page.get_attribute("[data-outcome]", "data-outcome") == "preview"
    assert not Employee.objects.filter(employee_number__startswith="Z9").exists()
    check(tab, "roster-preview")

    # And when it is confirmed (the same file: nothing is uploaded again), both are imported
    submit(tab, "Import this roster")
    assert tab.page.get_attribute("[data-outcome]", "data-outcome") == "imported"
    assert Employee.objects.filter(employee_number__startswith="Z9").count() == 2
    job = Job.objects.filter(kind="roster_import", dry_run=False).get()
    assert f"/imports/{job.pk}/" in tab.page.url
    check(tab, "roster-imported")

    phone = visit("manager.e2e", PHONE, "phone")
    rejected = Job.objects.filter(kind="roster_import", dry_run=True).order_by("id").first()
    for path, name in (
        ("/imports/", "imports"),
        ("/imports/roster/", "roster-upload"),
        ("/imports/usage/", "usage-upload"),
        (f"/imports/{rejected.pk}/", "roster-rejected"),
        (f"/imports/{job.pk}/", "roster-imported"),
    ):
        phone.open(path)
        check(phone, name)


def test_finance__mark_a_line_paid_and_undo_it(visit, demo):
    line = BillingPeriod.objects.filter(contract=demo).order_by("start").first()
    tab = visit("finance.e2e", WIDE, "wide")
    tab.open(f"/contracts/{demo.pk}/")

    # When finance marks the first line invoiced, the confirmation names it; then they confirm
    row = f'tr[data-line="{line.pk}"]'
    tab.page.locator(row).get_by_role("button", name="Mark invoiced").click()
    tab.page.wait_for_load_state()
    assert "will be marked invoiced" in tab.page.inner_text("main")
    check(tab, "billing-mark-confirm")
    submit(tab, "Mark it invoiced")

    # And marks it paid
    tab.page.locator(row).get_by_role("button", name="Mark paid").click()
    tab.page.wait_for_load_state()
    assert "can be undone today only" in tab.page.inner_text("main")
    submit(tab, "Mark it paid")
    assert tab.page.get_attribute(f"{row} [data-status]", "data-status") == "paid"

    # When they undo the mistaken "paid" with a reason
    tab.page.locator(row).get_by_role("link", name="Undo paid").click()
    tab.page.wait_for_url(f"**/billing/{line.pk}/undo-paid/")
    check(tab, "billing-undo-form")
    tab.page.fill("#id_reason", "Marked the wrong period")
    submit(tab, "Review the undo")
    check(tab, "billing-undo-confirm")
    submit(tab, "Undo the payment mark")

    # Then the line is invoiced again and its record lists the mark and the undo
    assert tab.page.get_attribute(f"{row} [data-status]", "data-status") == "invoiced"
    tab.page.locator(f"{row} summary").click()
    record = tab.page.locator(f"{row} .line-history").inner_text()
    assert "Paid → Invoiced by finance.e2e — “Marked the wrong period”" in record
    assert [e.to_status for e in line.events.all()] == ["invoiced", "paid", "invoiced"]
    assert tab.page.locator('[data-export="billing-lines"] a').count() == 2

    check(tab, "dashboard-billing-record")
    phone = visit("finance.e2e", PHONE, "phone")
    phone.open(f"/contracts/{demo.pk}/billing/{line.pk}/mark/")
    check(phone, "billing-mark-form")
    phone.open(f"/contracts/{demo.pk}/billing/{line.pk}/undo-paid/")
    check(phone, "billing-undo-form")


def test_coordinator__request_seats_for_ticked_people(visit, demo):
    # Given four people who joined DOR after the demo's seats were handed out (every DOR
    # employee of the demo has a seat), three of them ticked by DOR's coordinator
    dor = Agency.objects.get(code="DOR")
    Employee.objects.bulk_create(
        Employee(
            employee_number=f"Z8000{i}",
            email=f"new.hire{i}@example.gov",
            first_name=f"Newhire{i}",
            last_name="Abbott",
            agency=dor,
            training_completed_on=TODAY,
            policy_acknowledged_on=TODAY,
        )
        for i in range(4)
    )
    tab = visit("coordinator.e2e", WIDE, "wide")
    tab.open("/agencies/DOR/?state=none")
    check(tab, "agency-tick-boxes")
    boxes = tab.page.locator('input[name="employee"]')
    assert boxes.count() == 4
    chosen = [int(boxes.nth(i).get_attribute("value")) for i in range(3)]
    for i in range(3):
        boxes.nth(i).check()

    # When the coordinator forgets the reason, the page opens at the error, the ticks kept
    submit(tab, "Request seats for the ticked people", status=400)
    assert tab.page.url.endswith("#errors") and tab.page.is_visible("#errors")
    assert tab.page.locator('input[name="employee"]:checked').count() == 3
    check(tab, "request-seats-invalid")

    # And with a reason, the confirmation lists the three before anything is written
    tab.page.fill("#id_reason", "Revenue analytics pilot")
    submit(tab, "Review the requests")
    assert "3 seats will be requested" in tab.page.inner_text("main")
    assert not Seat.objects.filter(employee_id__in=chosen).exists()
    check(tab, "request-seats-confirm")
    submit(tab, "Request the seats")

    # Then they are back on the agency's people, and each has a requested or held seat
    assert "/agencies/DOR/" in tab.page.url
    assert "3 seats requested for people of DOR" in tab.page.inner_text(".messages")
    events = SeatEvent.objects.filter(seat__employee_id__in=chosen)
    assert events.count() == 3
    assert {e.actor.username for e in events} == {"coordinator.e2e"}
    assert tab.page.locator('[data-export="seats"] a').count() == 2

    # And another agency's person is out of reach on the page and in a form
    other = Employee.objects.exclude(agency__code__in=("DOR", "EOHHS")).first()
    assert tab.status_of(f"/people/{other.pk}/") == 404

    # A person's page and the single request, at both widths
    person = Employee.objects.get(employee_number="Z80003")
    tab.open(f"/people/{person.pk}/")
    check(tab, "coordinator-person")
    tab.open(f"/people/{person.pk}/request-seat/")
    check(tab, "seat-request-form")
    phone = visit("coordinator.e2e", PHONE, "phone")
    phone.open("/agencies/DOR/?state=none")
    check(phone, "agency-tick-boxes")
    phone.open(f"/people/{person.pk}/")
    check(phone, "coordinator-person")
    phone.open(f"/people/{person.pk}/request-seat/")
    check(phone, "seat-request-form")
