"""The rollout run from the browser by a rollout manager, end to end, in headless Chromium: a
wave planned (an agency added, its day moved), its gates signed off (one reopened and signed
again), approved and started, a cohort previewed and activated while the job page follows the
job to its end, the blocked list downloaded, idle seats reclaimed, the wave completed. axe-core
finds no violation on any console page, at 1440 px and at 390 px; screenshots go to
artifacts/screenshots/.

Nothing here touches the API or the admin: every step is a link, a form or a button. One step is
not the rollout manager's: DCAMM's training records arriving (the roster upload is another page),
done in the database as the nightly roster would."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from agencies.models import Employee
from core.models import Job
from licensing.models import Seat
from rollout.models import Cohort, Wave
from rollout.services import jobs as job_handoff
from rollout.tasks import activate_cohort_task
from tests.e2e.conftest import MISSING, PHONE, TODAY

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

WIDE = {"width": 1440, "height": 900}
GATES = ("privacy_review", "security_review", "union_notice", "help_desk_ready")


def go(tab, selector: str, status: int = 200):
    """Click a link or a button and wait for the page it leads to."""
    with tab.page.expect_navigation() as navigation:
        tab.page.click(selector)
    response = navigation.value
    assert response is not None and response.status == status, (
        selector,
        response and response.status,
        tab.page.url,
    )
    if status >= 400:
        # Chromium logs every 4xx document as a console error; an invalid form (400) and a
        # refusal (409) are answers this test asked for, not faults of the page.
        expected = f"the server responded with a status of {status}"
        tab.errors[:] = [e for e in tab.errors if expected not in e]
    return response


def check(tab, shot: str) -> None:
    """axe-core finds nothing, nothing is wider than the window, and the page is kept."""
    tab.assert_accessible()
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    viewport = tab.page.viewport_size["width"]
    assert width <= viewport, f"{tab.page.url} is {width}px wide in a {viewport}px window"
    tab.shot(shot)


def wave_action(tab, action: str, reason: str, shot: str = "") -> None:
    """From the wave page: the action's form, a reason, the confirmation, confirm."""
    go(tab, f'[data-action="{action}"]')
    tab.page.fill("#id_reason", reason)
    go(tab, "button:has-text('Continue')")
    assert "What will happen" in tab.page.inner_text("main")
    if shot:
        check(tab, shot)
    go(tab, f"form button:has-text('{action.capitalize()} wave')")


def training_arrives(code: str) -> None:
    """The nightly roster brings the agency's training records: everyone at work trained and
    acknowledged but the first (who stays blocked as not ready)."""
    staff = list(
        Employee.objects.filter(agency__code=code, employment_status="active").order_by(
            "employee_number"
        )
    )
    Employee.objects.filter(pk__in=[e.pk for e in staff[1:]]).update(
        training_completed_on=TODAY - dt.timedelta(days=3),
        policy_acknowledged_on=TODAY - dt.timedelta(days=3),
    )
    Employee.objects.filter(pk=staff[0].pk).update(training_completed_on=None)


@pytest.fixture
def held_activations(monkeypatch):
    """Real activations wait in the queue until the test lets them run (the workers are eager
    here, so without this the job would end before its page opened)."""
    held: list[int] = []
    send = job_handoff._send

    def hold(job):
        if job.kind == "cohort_activation" and not job.dry_run:
            held.append(job.pk)
        else:
            send(job)

    monkeypatch.setattr(job_handoff, "_send", hold)
    return held


def plan_wave(tab) -> Wave:
    """From the timeline: a new wave, DCAMM added to it, its onboarding day moved."""
    tab.open("/rollout/timeline/")
    go(tab, "a:has-text('Plan a new wave')")
    check(tab, "manager-plan-wave")
    tab.page.fill("#id_name", "Capital assets")
    tab.page.fill("#id_planned_start", "2026-12-07")
    tab.page.fill("#id_planned_end", "2027-01-29")
    tab.page.fill("#id_reason", "DCAMM asked to join before the winter break")
    go(tab, "button:has-text('Plan the wave')")
    wave = Wave.objects.get(number=6)
    assert tab.page.url.endswith(f"/rollout/waves/{wave.pk}/#main")

    go(tab, "[data-plan='add-cohort']")
    check(tab, "manager-plan-cohort")
    tab.page.select_option(
        "#id_agency",
        label="DCAMM · Division of Capital Asset Management and Maintenance (headcount 8)",
    )
    tab.page.fill("#id_seat_quota", "8")
    tab.page.fill("#id_onboarding_date", "2026-12-21")
    tab.page.fill("#id_reason", "The whole division, as agreed with its director")
    go(tab, "button:has-text('Add the agency')")
    assert "DCAMM is in wave 6: quota 8" in tab.page.inner_text(".messages")

    go(tab, "tr[data-cohort='DCAMM'] a:has-text('Change')")
    tab.page.fill("#id_onboarding_date", "2026-12-14")
    tab.page.fill("#id_reason", "Their help desk is ready a week early")
    go(tab, "button:has-text('Save the cohort')")
    assert "onboarding 14 Dec 2026" in tab.page.inner_text(".messages")
    assert "Their help desk is ready a week early" in tab.page.inner_text(".plan-history")
    return wave


def test_rollout_manager__runs_a_wave_in_the_browser(visit, demo, held_activations):
    tab = visit("manager.e2e", WIDE, "desktop")

    # A wave planned from the timeline; its page names every gate blocking its approval
    wave = plan_wave(tab)
    assert tab.page.get_attribute("[data-blockers]", "data-blockers") == "5"
    check(tab, "manager-wave-planned")

    # Approving now: a blank reason opens at the error summary; a reason meets the refusal
    go(tab, '[data-action="approve"]')
    check(tab, "manager-wave-action")
    go(tab, "button:has-text('Continue')", status=400)
    assert tab.page.url.endswith("#errors")
    assert tab.page.is_visible("#errors a[href='#id_reason']")
    check(tab, "manager-wave-action-invalid")
    tab.page.fill("#id_reason", "Agency says it is ready")
    go(tab, "button:has-text('Continue')", status=409)
    assert "cannot be approved: DCAMM: privacy review not signed off" in tab.page.inner_text(
        "#errors"
    )
    check(tab, "manager-wave-action-refused")

    # The cohort's page: sign off the four gates, each with its evidence
    tab.open(f"/rollout/waves/{wave.pk}/")
    go(tab, "ul.blockers a >> nth=0")
    check(tab, "manager-cohort-planned")
    for n, kind in enumerate(GATES):
        go(tab, f'tr[data-gate="{kind}"] a:has-text("Sign off")')
        if n == 0:
            check(tab, "manager-gate-sign-off")
        tab.page.fill("#id_evidence", f"Ticket DCAMM-{kind} closed")
        go(tab, "button:has-text('Sign off')")
        assert tab.page.get_attribute(f'tr[data-gate="{kind}"]', "data-met") == "yes"

    # A gate reopened (the help desk lost its lead) and signed again
    go(tab, 'tr[data-gate="help_desk_ready"] a:has-text("Reopen")')
    tab.page.fill("#id_reason", "Help desk lead left; cover not confirmed")
    go(tab, "button:has-text('Continue')")
    assert "cannot be approved while it fails" in tab.page.inner_text("main")
    check(tab, "manager-gate-reopen-confirm")
    go(tab, "button:has-text('Reopen the help desk readiness')")
    assert tab.page.get_attribute('tr[data-gate="help_desk_ready"]', "data-met") == "no"
    go(tab, 'tr[data-gate="help_desk_ready"] a:has-text("Sign off")')
    tab.page.fill("#id_evidence", "Cover confirmed by the service desk manager")
    go(tab, "button:has-text('Sign off')")

    # Training is the roster's: it passes once DCAMM's records arrive
    assert tab.page.get_attribute('tr[data-gate="training_threshold"]', "data-met") == "no"
    training_arrives("DCAMM")
    tab.page.reload()
    assert tab.page.get_attribute('tr[data-gate="training_threshold"]', "data-met") == "yes"
    check(tab, "manager-cohort-ready")

    # Approve, then start, each confirmed with its seats and money
    go(tab, f'a[href="/rollout/waves/{wave.pk}/"] >> nth=0')
    assert tab.page.get_attribute("[data-blockers]", "data-blockers") == "0"
    wave_action(tab, "approve", "Gates checked with DCAMM on the go/no-go call", "manager-confirm")
    assert tab.page.get_attribute("[data-wave-status]", "data-wave-status") == "approved"
    wave_action(tab, "start", "Go-live for DCAMM")
    assert tab.page.get_attribute("[data-wave-status]", "data-wave-status") == "in_progress"
    check(tab, "manager-wave-running")

    # Preview the cohort's activation: a dry run, with the blocked by reason and the money
    go(tab, 'tr[data-cohort="DCAMM"] th a')
    go(tab, "button:has-text('Preview the activation')")
    would = int(tab.figure('[data-figure="would_activate"]'))
    assert would > 0 and tab.page.is_visible('tr[data-reason="not_ready"]')
    check(tab, "manager-activation-preview")

    # Activate: the job page follows the job while it runs, and shows how it ended
    go(tab, f"button:has-text('Activate {would} seat')")
    assert tab.page.get_attribute("[data-job-status]", "data-job-status") == "queued"
    tab.page.wait_for_selector("[data-job-pause]:visible")
    check(tab, "manager-job-running")
    tab.page.click("[data-job-pause]")  # no poll while the worker writes
    job = Job.objects.get(pk=held_activations[0])
    activate_cohort_task(job.cohort_id, job_id=job.pk)
    with tab.page.expect_navigation():
        tab.page.click("[data-job-pause]")  # resume: the next poll sees the end and reloads
    assert tab.page.get_attribute("[data-job-status]", "data-job-status") == "succeeded"
    assert tab.figure('[data-figure="activated"]') == str(would)
    check(tab, "manager-job-done")
    with tab.page.expect_download() as download:
        tab.page.click("a[data-csv]")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["employee_number", "name", "code"]
    assert len(rows) - 1 == int(tab.figure('[data-figure="blocked"]'))
    assert Seat.objects.filter(cohort__wave=wave, status="active").count() == would

    # Reclaim two of the idle seats, from the navigation
    go(tab, "nav[aria-label='Main'] a:has-text('Idle seats')")
    listed = tab.page.locator("input[name='seats']")
    assert listed.count() >= 2
    check(tab, "manager-reclaim")
    tab.page.check("#id_selection_1")
    listed.nth(0).check()
    listed.nth(1).check()
    go(tab, "button:has-text('Continue')")
    check(tab, "manager-reclaim-confirm")
    go(tab, "button:has-text('Reclaim 2 seats')")
    assert tab.page.get_attribute("[data-job-status]", "data-job-status") == "succeeded"
    reclaimed = int(tab.figure('[data-figure="suspended"]')) + int(
        tab.figure('[data-figure="revoked"]')
    )
    assert reclaimed == 2
    check(tab, "manager-reclaim-job")

    # And the wave is completed
    tab.open(f"/rollout/waves/{wave.pk}/")
    wave_action(tab, "complete", "DCAMM onboarded")
    assert tab.page.get_attribute("[data-wave-status]", "data-wave-status") == "completed"
    assert "Completed</strong> by manager.e2e: “DCAMM onboarded”" in tab.page.inner_html("main")

    # At phone width every console page reads and passes axe too
    phone = visit("manager.e2e", PHONE, "phone")
    cohort = Cohort.objects.get(wave=wave)
    wave5 = Wave.objects.get(contract=demo, number=5)
    for path, shot in (
        (f"/rollout/waves/{wave.pk}/", "manager-wave"),
        (f"/rollout/cohorts/{cohort.pk}/", "manager-cohort"),
        (f"/rollout/jobs/{job.pk}/", "manager-job-done"),
        ("/rollout/reclaim/", "manager-reclaim"),
        (f"/rollout/cohorts/{cohort.pk}/gates/privacy_review/sign-off/", "manager-gate-sign-off"),
        ("/rollout/waves/new/", "manager-plan-wave"),
        (f"/rollout/waves/{wave5.pk}/", "manager-wave-running"),
    ):
        phone.open(path)
        check(phone, shot)
    phone.open(f"/rollout/waves/{wave5.pk}/")
    go(phone, '[data-action="pause"]')
    go(phone, "button:has-text('Continue')", status=400)
    check(phone, "manager-wave-action-invalid")
    phone.page.fill("#id_reason", "Incident at the help desk")
    go(phone, "button:has-text('Continue')")
    check(phone, "manager-confirm")
    dph = Cohort.objects.get(wave=wave5, agency__code="DPH")
    phone.open(f"/rollout/cohorts/{dph.pk}/activate/")
    go(phone, "button:has-text('Preview the activation')")
    check(phone, "manager-activation-preview")
    running = Job.objects.create(
        kind="cohort_activation", status="running", cohort=dph, done=250, total=1000
    )
    phone.open(f"/rollout/jobs/{running.pk}/")
    phone.page.wait_for_selector("[data-job-pause]:visible")
    check(phone, "manager-job-running")
    phone.page.click("[data-job-pause]")
