"""The notification pages in a real browser (headless Chromium), checked with axe-core: a
rollout manager adds a webhook endpoint through the form and its confirmation and reads the
secret once; a coordinator chooses which events reach them by email. Skipped, with the reason,
when /usr/bin/chromium or the playwright package is missing (`.ci/browser` installs both)."""

from __future__ import annotations

import pytest

from notifications.models import EmailSubscription, WebhookEndpoint
from tests.e2e.conftest import MISSING, PHONE

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]


def test_rollout_manager__adds_a_webhook__confirms__reads_the_secret_once(visit, demo, settings):
    # Given a manager on the webhook settings (a receiver on this machine may be registered)
    settings.WEBHOOK_ALLOW_PRIVATE = True
    tab = visit("manager.e2e")
    tab.open("/notifications/webhooks/")
    tab.assert_accessible()

    # When they fill in the form (its refusals answer 400, tested without a browser)
    with tab.page.expect_navigation():
        tab.page.click("text=Add an endpoint")
    tab.assert_accessible()
    tab.page.fill("#id_url", "http://127.0.0.1:9/hooks/seatplan")
    tab.page.check('input[value="wave.status_changed"]')
    tab.page.check('input[value="cost.threshold_crossed"]')
    with tab.page.expect_navigation():
        tab.page.click("button:has-text('Continue')")
    assert "Seatplan will POST signed messages to" in tab.page.inner_text("main"), (
        tab.page.inner_text("main")
    )
    tab.assert_accessible()
    with tab.page.expect_navigation():
        tab.page.click("button:has-text('Add the endpoint')")

    # Then its page shows the secret once; a reload does not
    endpoint = WebhookEndpoint.objects.get()
    assert sorted(endpoint.event_types) == ["cost.threshold_crossed", "wave.status_changed"]
    assert tab.page.inner_text("[data-secret]") == endpoint.secret
    tab.assert_accessible()
    tab.shot("webhook-secret")
    tab.page.reload()
    assert tab.page.locator("[data-secret]").count() == 0


def test_coordinator__email_choices__agency_events_only_and_saved(visit, demo):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="coordinator.e2e").update(
        email="coord@mass.example.gov"
    )
    tab = visit("coordinator.e2e", PHONE, "phone")
    with tab.page.expect_navigation():
        tab.page.click('nav[aria-label="Main"] a:has-text("Notifications")')
    assert "Cost threshold crossed" not in tab.page.inner_text("main")
    tab.assert_accessible()

    tab.page.check('input[name="wave.status_changed"][value="digest"]')
    with tab.page.expect_navigation():
        tab.page.click("button:has-text('Save my choices')")

    assert "Your email choices are saved." in tab.page.inner_text("main")
    assert EmailSubscription.objects.get().event_type == "wave.status_changed"
    tab.assert_accessible()
    tab.shot("email-choices")
