"""The vendor pages in a real browser (headless Chromium), checked with axe-core at desktop and
phone widths: a rollout manager follows seats to the vendor's workspace (scim2-server on
127.0.0.1 playing the vendor) and retries one; finance reads the reconciliation with a shadow
member and asks for a new one. Skipped, with the reason, when /usr/bin/chromium or the
playwright package is missing (`.ci/browser` installs both)."""

from __future__ import annotations

import pytest

from licensing.choices import SeatStatus
from licensing.models import Seat
from licensing.services.seats import seat_suspend
from tests.e2e.conftest import MISSING, PHONE
from tests.vendor.vendor_server import VendorServer
from vendor.models import SeatProvisioning, VendorConnection
from vendor.services import contract_reconcile

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]


@pytest.fixture
def vendor():
    server = VendorServer().start()
    yield server
    server.stop()


def test_vendor_pages__manager_and_finance__queue_retry_and_reconciliation(visit, demo, vendor):
    # Given the demo's contract connected to the vendor, three seats pushed there (suspending
    # a seat writes its event; eager Celery provisions it once the change commits), a member
    # the vendor's owner added by hand, reconciled; then the vendor down and a fourth seat
    # waiting for it
    VendorConnection.objects.create(contract=demo, base_url=vendor.url, token=vendor.token)
    active = list(Seat.objects.filter(contract=demo, status=SeatStatus.ACTIVE).order_by("id")[:4])
    for seat in active[:3]:
        seat_suspend(seat=seat, reason="on leave")
    assert SeatProvisioning.objects.filter(state="provisioned").count() == 3
    vendor.add_user("contractor@partner.example")
    contract_reconcile(contract=demo)
    vendor.stop()
    seat_suspend(seat=active[3], reason="on leave")
    assert SeatProvisioning.objects.get(seat=active[3]).state == "pending"

    # When a rollout manager opens the queue and retries a seat, at both widths
    manager = visit("manager.e2e")
    manager.review("/vendor/provisioning/", "vendor-queue")
    manager.submit(f"form[action='/vendor/seats/{active[3].pk}/retry/'] button")
    manager.assert_accessible()
    if manager.page.locator("button:has-text('Confirm')").count():
        manager.submit("button:has-text('Confirm')")
        manager.assert_accessible()
    visit("manager.e2e", PHONE, "phone").review("/vendor/provisioning/", "vendor-queue")

    # And finance reads the reconciliation and asks for a new one
    finance = visit("finance.e2e")
    page = f"/vendor/contracts/{demo.pk}/reconciliation/"
    finance.review(page, "vendor-reconciliation")
    assert "contractor@partner.example" in finance.page.inner_text("main")
    finance.open(f"/vendor/contracts/{demo.pk}/reconciliation/run/")
    finance.assert_accessible()
    visit("finance.e2e", PHONE, "phone").review(page, "vendor-reconciliation")

    # Then coordinators and readers have no vendor pages
    assert visit("coordinator.e2e").status_of("/vendor/provisioning/") == 403
