"""Finance's billing marks from the console: a confirmation that names the line, the undo of a
mistaken "paid" on the same day with a written reason, the record of both on the dashboard,
and the export links each role is offered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from licensing.models import BillingPeriod
from licensing.services.cost import billing_period_mark

NOT_FINANCE = (ROLLOUT_MANAGER, AGENCY_COORDINATOR, API_READER, "no_role")


def mark_url(world) -> str:
    return reverse(
        "web:billing-mark", kwargs={"pk": world["contract"].pk, "line_id": world["line"].pk}
    )


def undo_url(world) -> str:
    return reverse(
        "web:billing-undo", kwargs={"pk": world["contract"].pk, "line_id": world["line"].pk}
    )


def dashboard(world) -> str:
    return reverse("web:contract", kwargs={"pk": world["contract"].pk})


@pytest.fixture
def paid_today(world, users):
    """The world's line, marked invoiced and then paid by finance today."""
    for status in ("invoiced", "paid"):
        billing_period_mark(line=world["line"], status=status, actor=users[FINANCE])
    return world["line"]


def test_mark__confirmation_names_the_line_and_the_same_day_undo(login, world):
    # Given an invoiced line
    BillingPeriod.objects.filter(pk=world["line"].pk).update(status="invoiced")
    client = login(FINANCE)

    # When finance presses "Mark paid", the page first says what will happen
    preview = client.post(mark_url(world), {"status": "paid"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "13 Feb 2026 – 12 Mar 2026 ($130,000.00, 7 billable persons) will be marked paid" in html
    assert "can be undone today only" in html
    assert BillingPeriod.objects.get(pk=world["line"].pk).status == "invoiced"

    # And when they confirm, the line is paid and they are back on the dashboard's lines
    done = client.post(mark_url(world), {"status": "paid", "confirmed": "yes"})
    assert done.status_code == 302
    assert done["Location"] == dashboard(world) + "#billing"
    assert BillingPeriod.objects.get(pk=world["line"].pk).status == "paid"


def test_mark__get__form_with_the_next_status_chosen(login, world):
    response = login(FINANCE).get(mark_url(world))
    assert response.status_code == 200
    assert '<option value="invoiced" selected>' in response.content.decode()


def test_mark__unknown_status__400_at_the_summary(login, world):
    response = login(FINANCE).post(mark_url(world), {"status": "forgiven"})
    assert response.status_code == 400
    assert 'href="#id_status"' in response.content.decode()


@pytest.mark.parametrize("role", NOT_FINANCE)
def test_mark_and_undo__not_finance__403(login, world, paid_today, role):
    client = login(role)
    assert client.post(mark_url(world), {"status": "paid", "confirmed": "yes"}).status_code == 403
    posted = client.post(undo_url(world), {"reason": "x", "confirmed": "yes"})
    assert posted.status_code == 403
    assert BillingPeriod.objects.get(pk=world["line"].pk).status == "paid"


def test_mark__line_of_another_contract__404(login, world):
    url = reverse("web:billing-mark", kwargs={"pk": 999_999, "line_id": world["line"].pk})
    assert login(FINANCE).post(url, {"status": "invoiced"}).status_code == 404


def test_dashboard__paid_today__undo_offered_with_the_record(login, world, paid_today):
    html = login(FINANCE).get(dashboard(world)).content.decode()
    assert undo_url(world) in html
    assert "Record (2)" in html
    assert "Invoiced → Paid by finance" in html


def test_dashboard__paid_on_an_earlier_day__no_undo(login, world, paid_today):
    paid_today.events.update(at=timezone.now() - dt.timedelta(days=1))
    html = login(FINANCE).get(dashboard(world)).content.decode()
    assert undo_url(world) not in html


def test_undo__finance_same_day__back_to_invoiced_recorded_with_reason(
    login, world, users, paid_today
):
    client = login(FINANCE)

    # When finance asks to undo, the confirmation says where the line goes back to
    preview = client.post(undo_url(world), {"reason": "Paid the March line by mistake"})
    assert preview.status_code == 200
    assert "The line goes back to invoiced." in preview.content.decode()

    # And when confirmed, the line is invoiced and the dashboard's record shows the undo
    done = client.post(
        undo_url(world), {"reason": "Paid the March line by mistake", "confirmed": "yes"}
    )
    assert done.status_code == 302
    line = BillingPeriod.objects.get(pk=world["line"].pk)
    assert line.status == "invoiced"
    html = client.get(dashboard(world)).content.decode()
    assert "Paid → Invoiced by finance — “Paid the March line by mistake”" in html
    assert "is undone: it is invoiced again" in html


def test_undo__no_reason__400_and_still_paid(login, world, paid_today):
    response = login(FINANCE).post(undo_url(world), {"reason": "", "confirmed": "yes"})
    assert response.status_code == 400
    assert 'href="#id_reason"' in response.content.decode()
    assert BillingPeriod.objects.get(pk=world["line"].pk).status == "paid"


def test_undo__marked_yesterday__409_with_the_services_words(login, world, paid_today):
    paid_today.events.update(at=timezone.now() - dt.timedelta(days=1))
    response = login(FINANCE).post(undo_url(world), {"reason": "late", "confirmed": "yes"})
    assert response.status_code == 409
    assert "can be undone only on the day it was made" in response.content.decode()
    assert BillingPeriod.objects.get(pk=world["line"].pk).status == "paid"


# --- export links -------------------------------------------------------------------------------


def test_exports__dashboard__finance_and_managers_get_billing_and_chargeback(login, world):
    number = world["contract"].number
    for role in (FINANCE, ROLLOUT_MANAGER):
        html = login(role).get(dashboard(world)).content.decode()
        for kind in ("billing-lines", "chargeback"):
            for fmt in ("csv", "xlsx"):
                assert f"/api/v1/exports/{kind}/?format={fmt}&amp;contract={number}" in html, (
                    role,
                    kind,
                    fmt,
                )


def test_exports__api_reader__no_download_links(login, world):
    client = login(API_READER)
    for url in (dashboard(world), reverse("web:seats"), reverse("web:agency", args=["AGA"])):
        assert "/api/v1/exports/" not in client.get(url).content.decode(), url


def test_exports__coordinator__seat_links_on_their_pages_that_download(login, world):
    # Given a coordinator on the seat-count page and their agency's page
    client = login(AGENCY_COORDINATOR)
    seats = client.get(reverse("web:seats")).content.decode()
    agency = client.get(reverse("web:agency", args=["AGA"])).content.decode()

    # Then they are offered the seat exports (their rows only, which the export enforces)
    assert "/api/v1/exports/seats/?format=csv" in seats
    assert "/api/v1/exports/seats/?format=xlsx&amp;contract=" in agency
    assert "billing-lines" not in seats + agency

    # And the link downloads their agency's seats, recorded as an export job
    url = f"/api/v1/exports/seats/?format=csv&contract={world['contract'].number}&agency=AGA"
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Export-Job"]
