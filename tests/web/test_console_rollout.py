"""The rollout console through Django's test client: who may open and post what (each role, and
ids of another agency), what each confirmation says, that every action goes through its service
(refusals in the service's words), and the activation and reclamation jobs' pages and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import Employee
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from core.models import Job
from licensing.charts import full_money
from licensing.forecast import CancelWave
from licensing.models import Seat
from licensing.services.cost import contract_cost_report, contract_forecast
from rollout.choices import SIGNED_GATES
from rollout.models import Cohort, ReadinessCheck, Wave, WaveEvent
from rollout.services import cohort_activate
from tests.factories import CohortFactory, WaveFactory
from tests.web.conftest import TODAY, at, figures

ALL_ROLES = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER)
NOT_MANAGERS = (FINANCE, AGENCY_COORDINATOR, API_READER)


def wave_url(wave, action: str = "") -> str:
    if action:
        return reverse("web:wave-action", kwargs={"pk": wave.pk, "action": action})
    return reverse("web:wave", kwargs={"pk": wave.pk})


def cohort_url(cohort, what: str = "", kind: str = "") -> str:
    if kind:
        return reverse(f"web:gate-{what}", kwargs={"pk": cohort.pk, "kind": kind})
    if what:
        return reverse(f"web:{what}", kwargs={"pk": cohort.pk})
    return reverse("web:cohort", kwargs={"pk": cohort.pk})


def job_url(job, what: str = "job") -> str:
    return reverse(f"web:{what}", kwargs={"pk": job.pk})


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def sign_every_gate(cohort, user):
    for kind in SIGNED_GATES:
        ReadinessCheck.objects.update_or_create(
            cohort=cohort,
            kind=kind,
            defaults={"is_met": True, "met_at": at(TODAY), "signed_off_by": user, "evidence": "t"},
        )


@pytest.fixture
def agb_job(world):
    """A finished activation of AGB's cohort: another agency's job for the coordinator."""
    return Job.objects.create(
        kind="cohort_activation", status="succeeded", cohort=world["cohort_b"], subject="AGB"
    )


@pytest.fixture
def idle(world):
    """Two of AGA's active seats unused since August, and a person who left still holding a
    seat: three candidates for reclamation."""
    seats = list(Seat.objects.filter(agency=world["agency_a"], status="active").order_by("id"))
    Seat.objects.filter(pk__in=[s.pk for s in seats[:2]]).update(
        last_active_at=at(dt.date(2026, 8, 1))
    )
    Employee.objects.filter(pk=seats[2].employee_id).update(employment_status="separated")
    return {"idle": seats[:2], "separated": seats[2], "kept": seats[3]}


# --- who may open what -----------------------------------------------------------------------


def console_pages(world, job) -> dict[str, str]:
    return {
        "wave": wave_url(world["wave1"]),
        "cohort": cohort_url(world["cohort_a"]),
        "job": job_url(job),
        "job_progress": job_url(job, "job-progress"),
        "reclaim": reverse("web:reclaim"),
        "wave_action": wave_url(world["wave2"], "approve"),
        "sign_off": cohort_url(world["cohort_a2"], "sign-off", "security_review"),
        "reopen": cohort_url(world["cohort_a2"], "reopen", "privacy_review"),
        "activate": cohort_url(world["cohort_a"], "cohort-activate"),
        "wave_create": reverse("web:wave-create"),
        "wave_edit": reverse("web:wave-edit", kwargs={"pk": world["wave2"].pk}),
        "cohort_add": reverse("web:cohort-add", kwargs={"pk": world["wave2"].pk}),
        "cohort_edit": cohort_url(world["cohort_a2"], "cohort-edit"),
        "cohort_remove": cohort_url(world["cohort_a2"], "cohort-remove"),
    }


ACTION_PAGES = (
    "reclaim",
    "wave_action",
    "sign_off",
    "reopen",
    "activate",
    "wave_create",
    "wave_edit",
    "cohort_add",
    "cohort_edit",
    "cohort_remove",
)


@pytest.mark.parametrize("page", ["wave", "cohort", "job", "job_progress", *ACTION_PAGES], ids=str)
def test_console_page__anonymous__sent_to_login(client, world, page):
    response = client.get(console_pages(world, world["job"])[page])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize("page", ["wave", "cohort", "job", *ACTION_PAGES])
def test_console_page__no_role__403(login, world, page):
    assert login("no_role").get(console_pages(world, world["job"])[page]).status_code == 403


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("page", ["wave", "cohort", "job", "job_progress"])
def test_console_read_pages__every_role__200(login, world, role, page):
    assert login(role).get(console_pages(world, world["job"])[page]).status_code == 200


@pytest.mark.parametrize("role", NOT_MANAGERS)
@pytest.mark.parametrize("page", ACTION_PAGES)
def test_console_action_pages__not_a_manager__403_on_get_and_post(login, world, role, page):
    # Given any role but rollout manager
    client = login(role)
    url = console_pages(world, world["job"])[page]
    before = (WaveEvent.objects.count(), ReadinessCheck.objects.count(), Job.objects.count())

    # Then the form is not shown, and a filled-in, confirmed post changes nothing
    assert client.get(url).status_code == 403
    posted = {
        "reason": "x",
        "evidence": "x",
        "selection": "all",
        "name": "Mine",
        "planned_start": "2027-01-04",
        "planned_end": "2027-02-05",
        "agency": world["agency_c"].pk,
        "seat_quota": "5",
        "onboarding_date": "2027-01-11",
        "confirmed": "yes",
    }
    assert client.post(url, posted).status_code == 403
    after = (WaveEvent.objects.count(), ReadinessCheck.objects.count(), Job.objects.count())
    assert after == before
    assert list(Wave.objects.values_list("number", "name", "status")) == [
        (1, "First", "in_progress"),
        (2, "Second", "planned"),
    ]
    assert Cohort.objects.get(pk=world["cohort_a2"].pk).seat_quota == 40


def test_console_pages__manager__every_page_200(login, world):
    client = login(ROLLOUT_MANAGER)
    for page, url in console_pages(world, world["job"]).items():
        assert client.get(url).status_code == 200, page


def test_coordinator__other_agencys_cohort_and_job__404_like_a_missing_one(login, world, agb_job):
    # Given a coordinator of AGA only
    client = login(AGENCY_COORDINATOR)

    # Then AGB's cohort and its job answer as if they did not exist, as does a missing id
    assert client.get(cohort_url(world["cohort_b"])).status_code == 404
    assert client.get(job_url(agb_job)).status_code == 404
    assert client.get(job_url(agb_job, "job-progress")).status_code == 404
    assert client.get(job_url(agb_job, "job-blocked-csv")).status_code == 404
    assert client.get(reverse("web:cohort", kwargs={"pk": 999_999})).status_code == 404


def test_coordinator__wave_without_their_agency__404(login, world):
    wave3 = WaveFactory(
        contract=world["contract"],
        number=3,
        planned_start=dt.date(2027, 1, 4),
        planned_end=dt.date(2027, 2, 1),
    )
    CohortFactory(wave=wave3, agency=world["agency_b"])
    assert login(AGENCY_COORDINATOR).get(wave_url(wave3)).status_code == 404
    assert login(FINANCE).get(wave_url(wave3)).status_code == 200


def test_coordinator__wave_page__own_cohorts_only_no_money_no_actions(login, world):
    html = main(login(AGENCY_COORDINATOR).get(wave_url(world["wave1"])))
    assert 'data-cohort="AGA"' in html and 'data-cohort="AGB"' not in html
    assert "Seats and money" not in html
    assert "data-action=" not in html


def test_coordinator__reclamation_job__404(login, world):
    job = Job.objects.create(kind="reclaim", status="succeeded", subject="contract-wide")
    client = login(AGENCY_COORDINATOR)
    assert client.get(job_url(job)).status_code == 404
    assert login(FINANCE).get(job_url(job)).status_code == 200


def test_job_page__job_of_another_kind__404(login, world):
    job = Job.objects.create(kind="export", status="succeeded")
    assert login(ROLLOUT_MANAGER).get(job_url(job)).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/rollout/waves/999999/",
        "/rollout/cohorts/999999/",
        "/rollout/jobs/999999/",
        "/rollout/jobs/999999/blocked.csv",
    ],
)
def test_manager__missing_ids__404(login, world, url):
    assert login(ROLLOUT_MANAGER).get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/rollout/waves/999999/edit/",
        "/rollout/waves/999999/cohorts/new/",
        "/rollout/cohorts/999999/edit/",
        "/rollout/cohorts/999999/remove/",
        "/rollout/waves/999999/approve/",
        "/rollout/cohorts/999999/activate/",
        "/rollout/cohorts/999999/gates/privacy_review/sign-off/",
        "/rollout/cohorts/999999/gates/privacy_review/reopen/",
    ],
)
def test_manager__actions_on_missing_ids__404_on_get_and_post(login, world, url):
    client = login(ROLLOUT_MANAGER)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x", "evidence": "x", "confirmed": "yes"}).status_code == 404


@pytest.mark.parametrize("kind", ["training_threshold", "bogus"])
def test_gate_pages__not_a_signed_gate__404(login, world, kind):
    client = login(ROLLOUT_MANAGER)
    assert client.get(cohort_url(world["cohort_a2"], "sign-off", kind)).status_code == 404
    assert client.get(cohort_url(world["cohort_a2"], "reopen", kind)).status_code == 404


def test_wave_action__unknown_action__404(login, world):
    assert login(ROLLOUT_MANAGER).get(
        f"/rollout/waves/{world['wave2'].pk}/launch/"
    ).status_code == (404)


def test_console_posts__without_csrf_token__403(users, world):
    # Given a browser session that did not come through the form
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[ROLLOUT_MANAGER])

    # When a confirmed action is posted without the token, it is refused
    posted = {"reason": "x", "confirmed": "yes"}
    assert client.post(wave_url(world["wave1"], "pause"), posted).status_code == 403
    assert Wave.objects.get(pk=world["wave1"].pk).status == "in_progress"


# --- the wave page ---------------------------------------------------------------------------


def test_wave_page__planned__names_every_gate_blocking_its_approval(login, world):
    html = main(login(ROLLOUT_MANAGER).get(wave_url(world["wave2"])))
    # AGA in wave 2 has its staff trained and no gate signed: four gates fail
    assert "Before it can be approved" in html
    assert 'data-blockers="4"' in html
    for label in ("privacy review", "security review", "union notice", "help desk readiness"):
        assert f"AGA</a>: {label} — not signed off" in html
    assert f'href="{cohort_url(world["cohort_a2"])}#gates"' in html
    # And the actions its state allows, no others
    assert 'data-action="approve"' in html and 'data-action="cancel"' in html
    assert 'data-action="start"' not in html and 'data-action="pause"' not in html


def test_wave_page__money__from_the_cost_engine(login, world):
    # Given wave 2's unfilled quota of 40 in the plan
    contract = world["contract"]
    with_it = contract_cost_report(contract=contract)
    without = contract_forecast(contract=contract, changes=[CancelWave(world["wave2"].pk)])

    shown = figures(main(login(FINANCE).get(wave_url(world["wave2"]))))

    assert shown["quota"] == "40" and shown["active"] == "0" and shown["unfilled"] == "40"
    assert Decimal(shown["projected_total"]) == with_it.projected_total
    assert Decimal(shown["wave_adds"]) == with_it.projected_total - without.projected_total
    assert shown["headroom_seats"] == str(with_it.headroom_seats)


def test_wave_page__history__who_when_why(login, world, users):
    WaveEvent.objects.create(
        wave=world["wave1"],
        from_status="approved",
        to_status="in_progress",
        actor=users[ROLLOUT_MANAGER],
        reason="Go-live call at 9",
    )
    html = main(login(FINANCE).get(wave_url(world["wave1"])))
    assert "In progress</strong> by manager: “Go-live call at 9”" in html


def test_timeline__links_each_wave_and_cohort_to_its_page(login, world):
    html = login(ROLLOUT_MANAGER).get(reverse("web:timeline")).content.decode()
    assert f'href="{wave_url(world["wave2"])}"' in html
    assert f'href="{cohort_url(world["cohort_a2"])}"' in html
    assert f'href="{reverse("web:reclaim")}"' in html  # in the manager's navigation


# --- wave actions ----------------------------------------------------------------------------


def test_wave_action__blank_reason__400_opening_at_the_error_summary(login, world):
    response = login(ROLLOUT_MANAGER).post(wave_url(world["wave1"], "pause"), {"reason": " "})
    assert response.status_code == 400
    html = main(response)
    assert 'id="errors"' in html and 'href="#id_reason"' in html
    assert f'action="{wave_url(world["wave1"], "pause")}#errors"' in html
    assert html.count('class="field-error"') == 1
    assert Wave.objects.get(pk=world["wave1"].pk).status == "in_progress"


def test_wave_action__gates_failing__409_in_the_services_words(login, world):
    # When a manager approves wave 2 with four gates failing
    response = login(ROLLOUT_MANAGER).post(
        wave_url(world["wave2"], "approve"), {"reason": "Ready, I think"}
    )

    # Then nothing is confirmed: the service refuses at once, naming every failing gate
    assert response.status_code == 409
    html = main(response)
    assert "Wave 2 cannot be approved: AGA: privacy review not signed off; AGA: security" in html
    assert "Refused" in html
    assert Wave.objects.get(pk=world["wave2"].pk).status == "planned"
    assert not WaveEvent.objects.exists()


def test_wave_action__state_does_not_allow_it__409_in_the_services_words(login, world):
    response = login(ROLLOUT_MANAGER).post(wave_url(world["wave1"], "start"), {"reason": "again"})
    assert response.status_code == 409
    assert "Wave 1 is in progress; it cannot be started." in main(response)


def test_wave_action__approve__confirmation_then_service_then_wave_page(login, world, users):
    # Given wave 2 with every gate met
    sign_every_gate(world["cohort_a2"], users[ROLLOUT_MANAGER])
    client = login(ROLLOUT_MANAGER)
    url = wave_url(world["wave2"], "approve")

    # When the manager gives a reason, the page first says what will happen
    first = client.post(url, {"reason": "All five gates checked with the agency"})
    assert first.status_code == 200
    html = main(first)
    assert "Confirm: Approve wave 2" in html
    assert "Wave 2 becomes approved, under your name; its 1 cohort become ready." in html
    assert "Headroom: seats that can still be activated" in html
    assert Wave.objects.get(pk=world["wave2"].pk).status == "planned"

    # And once confirmed, the service approves it and the browser goes to the wave page
    second = client.post(
        url, {"reason": "All five gates checked with the agency", "confirmed": "yes"}
    )
    assert second.status_code == 302 and second["Location"] == wave_url(world["wave2"]) + "#main"
    wave = Wave.objects.get(pk=world["wave2"].pk)
    assert (wave.status, wave.approved_by) == ("approved", users[ROLLOUT_MANAGER])
    event = WaveEvent.objects.get(wave=wave)
    assert (event.to_status, event.actor, event.reason) == (
        "approved",
        users[ROLLOUT_MANAGER],
        "All five gates checked with the agency",
    )
    page = main(client.get(second["Location"]))
    assert "Wave 2 approved." in page and 'data-action="start"' in page


def test_wave_action__cancel__confirmation_shows_the_projection_without_the_wave(login, world):
    contract = world["contract"]
    now = contract_cost_report(contract=contract)
    after = contract_forecast(contract=contract, changes=[CancelWave(world["wave2"].pk)])

    html = main(
        login(ROLLOUT_MANAGER).post(wave_url(world["wave2"], "cancel"), {"reason": "Budget"})
    )

    assert "Cancelling cannot be undone." in html
    assert "the 40 seats of quota still unfilled leave the projection" in html
    row = re.search(
        r"Projected total for the term</th><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td>", html
    )
    assert row.groups() == (full_money(now.projected_total), full_money(after.projected_total))


def test_wave_action__pause_then_resume__recorded_each_time(login, world, users):
    sign_every_gate(world["cohort_a"], users[ROLLOUT_MANAGER])
    sign_every_gate(world["cohort_b"], users[ROLLOUT_MANAGER])
    client = login(ROLLOUT_MANAGER)
    for action, status in (("pause", "paused"), ("resume", "in_progress")):
        response = client.post(
            wave_url(world["wave1"], action), {"reason": f"{action} test", "confirmed": "yes"}
        )
        assert response.status_code == 302, main(response)
        assert Wave.objects.get(pk=world["wave1"].pk).status == status
    assert list(WaveEvent.objects.values_list("to_status", "reason")) == [
        ("paused", "pause test"),
        ("in_progress", "resume test"),
    ]


# --- gates -----------------------------------------------------------------------------------


def test_cohort_page__gates_with_figures_evidence_and_actions(login, world, users):
    ReadinessCheck.objects.filter(cohort=world["cohort_a2"]).update(
        is_met=True, met_at=at(TODAY), signed_off_by=users[ROLLOUT_MANAGER], evidence="DPIA-42"
    )
    html = main(login(ROLLOUT_MANAGER).get(cohort_url(world["cohort_a2"])))
    assert 'data-gate="privacy_review" data-met="yes"' in html
    assert "DPIA-42" in html
    assert 'data-gate="training_threshold" data-met="yes"' in html
    assert "100.0% ≥ 80.0% (60 of 60 active employees trained)" in html
    assert cohort_url(world["cohort_a2"], "reopen", "privacy_review") in html
    assert cohort_url(world["cohort_a2"], "sign-off", "security_review") in html
    assert cohort_url(world["cohort_a2"], "reopen", "security_review") not in html


def test_cohort_page__reader__gates_but_no_actions(login, world):
    html = main(login(API_READER).get(cohort_url(world["cohort_a2"])))
    assert 'data-gate="security_review" data-met="no"' in html
    assert "sign-off/" not in html and "Preview the activation" not in html


def test_sign_off__evidence_required__400(login, world):
    response = login(ROLLOUT_MANAGER).post(
        cohort_url(world["cohort_a2"], "sign-off", "security_review"), {"evidence": ""}
    )
    assert response.status_code == 400
    assert 'href="#id_evidence"' in main(response)
    assert not ReadinessCheck.objects.filter(kind="security_review").exists()


def test_sign_off__evidence__signed_by_the_manager_back_on_the_cohort(login, world, users):
    response = login(ROLLOUT_MANAGER).post(
        cohort_url(world["cohort_a2"], "sign-off", "security_review"),
        {"evidence": "SEC-7 approved by the CISO"},
    )
    assert response.status_code == 302
    assert response["Location"] == cohort_url(world["cohort_a2"]) + "#gates"
    check = ReadinessCheck.objects.get(cohort=world["cohort_a2"], kind="security_review")
    assert (check.is_met, check.signed_off_by, check.evidence) == (
        True,
        users[ROLLOUT_MANAGER],
        "SEC-7 approved by the CISO",
    )


def test_sign_off__closed_wave__409_in_the_services_words(login, world):
    Wave.objects.filter(pk=world["wave2"].pk).update(status="cancelled")
    response = login(ROLLOUT_MANAGER).post(
        cohort_url(world["cohort_a2"], "sign-off", "security_review"), {"evidence": "late"}
    )
    assert response.status_code == 409
    assert "its gates are no longer kept" in main(response)


def test_reopen__confirmation_then_gate_fails_with_the_reason_in_its_evidence(login, world, users):
    ReadinessCheck.objects.filter(cohort=world["cohort_a2"]).update(
        is_met=True, met_at=at(TODAY), signed_off_by=users[ROLLOUT_MANAGER], evidence="DPIA-42"
    )
    client = login(ROLLOUT_MANAGER)
    url = cohort_url(world["cohort_a2"], "reopen", "privacy_review")

    first = main(client.post(url, {"reason": "The DPIA missed the chat logs"}))
    assert "fails again until someone signs it off anew" in first
    assert "Wave 2 cannot be approved while it fails." in first

    assert client.post(url, {"reason": "The DPIA missed the chat logs", "confirmed": "yes"})[
        "Location"
    ] == (cohort_url(world["cohort_a2"]) + "#gates")
    check = ReadinessCheck.objects.get(cohort=world["cohort_a2"], kind="privacy_review")
    assert not check.is_met
    assert "by manager: The DPIA missed the chat logs" in check.evidence


def test_reopen__gate_not_signed__409_in_the_services_words(login, world):
    response = login(ROLLOUT_MANAGER).post(
        cohort_url(world["cohort_a2"], "reopen", "union_notice"), {"reason": "x"}
    )
    assert response.status_code == 409
    assert "is not signed off; there is nothing to reopen" in main(response)


# --- activation ------------------------------------------------------------------------------


def test_activate__preview__a_real_dry_run_with_money(login, world):
    # Given AGA's running cohort: quota 50, 4 active, 55 more trained people, one held
    client = login(ROLLOUT_MANAGER)
    headroom = contract_cost_report(contract=world["contract"]).headroom_seats

    # When the manager previews its activation
    response = client.post(cohort_url(world["cohort_a"], "cohort-activate"), {})

    # Then the page shows the dry run's findings, the people blocked by reason, and the money
    assert response.status_code == 200
    html = main(response)
    dry = Job.objects.filter(dry_run=True).latest("id")
    assert dry.requested_by.username == "manager"
    shown = figures(html)
    assert shown["would_activate"] == str(dry.outcome["would_activate"]) == "46"
    assert shown["blocked"] == str(dry.outcome["blocked"])
    assert shown["headroom_before"] == str(headroom)
    assert shown["headroom_after"] == str(headroom - 46)
    assert 'data-reason="quota_full"' in html and "FirstA51 LastA0051 (A0051)" in html
    assert 'data-reason="held_for_bargaining"' in html
    assert ">Activate 46 seats</button>" in html
    assert Seat.objects.filter(cohort=world["cohort_a"], status="active").count() == 4


def test_activate__confirmed__job_runs_and_the_browser_goes_to_its_page(
    login, world, django_capture_on_commit_callbacks
):
    client = login(ROLLOUT_MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            cohort_url(world["cohort_a"], "cohort-activate"), {"confirmed": "yes"}
        )
    job = Job.objects.filter(dry_run=False).latest("id")
    assert response.status_code == 302 and response["Location"] == job_url(job) + "#main"
    job.refresh_from_db()
    assert (job.status, job.outcome["activated"]) == ("succeeded", 46)
    assert Seat.objects.filter(cohort=world["cohort_a"], status="active").count() == 50

    html = main(client.get(job_url(job)))
    assert 'data-job-status="succeeded"' in html
    assert figures(html)["activated"] == "46"
    assert "job-progress.js" not in html  # nothing left to follow
    assert job_url(job, "job-blocked-csv") in html


def test_activate__wave_not_started__preview_warns_and_offers_no_activation(login, world):
    html = main(login(ROLLOUT_MANAGER).post(cohort_url(world["cohort_a2"], "cohort-activate"), {}))
    assert "Wave 2 (Second) is planned" in html
    assert "start or resume it from its page" in html
    assert 'name="confirmed"' not in html


def test_job_page__running__follows_itself_with_the_local_script(login, world):
    job = Job.objects.create(
        kind="cohort_activation", status="running", cohort=world["cohort_a"], done=1000, total=4000
    )
    client = login(ROLLOUT_MANAGER)
    html = main(client.get(job_url(job)))
    assert '<script src="/static/seatplan/job-progress.js" defer></script>' in html
    assert 'data-job-progress="/rollout/jobs/' in html and "1,000 of 4,000 done (25%)" in html
    assert "<meta http-equiv" not in client.get(job_url(job)).content.decode()
    progress = client.get(job_url(job, "job-progress")).json()
    assert progress == {
        "status": "running",
        "status_label": "Running",
        "done": 1000,
        "total": 4000,
        "percent": 25,
        "finished": False,
    }


def test_job_page__failed_refusal__says_why(login, world):
    job = Job.objects.create(
        kind="cohort_activation",
        status="failed",
        cohort=world["cohort_a2"],
        errors=[{"code": "wave_not_started", "detail": "Wave 2 (Second) is planned; …"}],
    )
    html = main(login(FINANCE).get(job_url(job)))
    assert "The job failed (wave_not_started): Wave 2 (Second) is planned" in html


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_blocked_csv__everyone_blocked_with_names_for_managers(login, world):
    job = cohort_activate(cohort=world["cohort_a"])
    response = login(ROLLOUT_MANAGER).get(job_url(job, "job-blocked-csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="job-{job.pk}-blocked.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["employee_number", "name", "code", "reason", "detail"]
    assert len(rows) - 1 == job.outcome["blocked"] == 10
    assert ["A0005", "FirstA5 LastA0005", "held_for_bargaining"] in [r[:3] for r in rows[1:]]


def test_blocked_csv__reader__employee_numbers_only(login, world):
    job = cohort_activate(cohort=world["cohort_a"], dry_run=True)
    rows = _csv(login(API_READER).get(job_url(job, "job-blocked-csv")))
    assert rows[0] == ["employee_number", "code", "reason"]
    assert not any("First" in cell for row in rows for cell in row)
    html = main(login(API_READER).get(job_url(job)))
    assert "FirstA" not in html and "A0051" in html


def test_blocked_csv__coordinator__own_agencys_names(login, world):
    job = cohort_activate(cohort=world["cohort_a"], dry_run=True)
    rows = _csv(login(AGENCY_COORDINATOR).get(job_url(job, "job-blocked-csv")))
    assert rows[0][1] == "name" and any("FirstA51 LastA0051" in row for row in rows)


# --- reclamation -----------------------------------------------------------------------------


def test_reclaim_page__report_lists_the_candidates_and_the_saving(login, world, idle):
    html = main(login(ROLLOUT_MANAGER).get(reverse("web:reclaim")))
    shown = figures(html)
    assert (shown["suspend"], shown["revoke"]) == ("2", "1")
    for seat in [*idle["idle"], idle["separated"]]:
        assert f'data-seat="{seat.pk}"' in html
    assert f'data-seat="{idle["kept"].pk}"' not in html
    # Each checkbox is labelled and the two choices are a fieldset
    assert html.count('type="checkbox" name="seats"') == 3
    assert "<legend>Which seats</legend>" in html


def test_reclaim_page__agency_filter__lists_that_agency_only(login, world, idle):
    html = main(login(ROLLOUT_MANAGER).get(reverse("web:reclaim") + "?agency=AGB"))
    assert 'type="checkbox" name="seats"' not in html  # AGB has no candidate: filter ignored
    html = main(login(ROLLOUT_MANAGER).get(reverse("web:reclaim") + "?agency=AGA"))
    assert html.count('type="checkbox" name="seats"') == 3


def test_reclaim__chosen_seats__confirm_then_job_reclaims_only_those(
    login, world, idle, django_capture_on_commit_callbacks
):
    client = login(ROLLOUT_MANAGER)
    chosen = {"selection": "chosen", "seats": [idle["idle"][0].pk, idle["separated"].pk]}

    # When the manager ticks two of the three, the confirmation says what will happen
    html = main(client.post(reverse("web:reclaim"), chosen))
    assert "1 idle seat suspended (“No activity for 30 days”)" in html
    assert "1 seat of people who have left revoked" in html
    assert ">Reclaim 2 seats</button>" in html
    assert Seat.objects.get(pk=idle["idle"][0].pk).status == "active"

    # And once confirmed, the job reclaims those two only and the browser follows it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:reclaim"), {**chosen, "confirmed": "yes"})
    job = Job.objects.get(kind="reclaim")
    assert response["Location"] == job_url(job) + "#main"
    job.refresh_from_db()
    assert (job.status, job.requested_by.username, job.done) == ("succeeded", "manager", 2)
    assert Seat.objects.get(pk=idle["idle"][0].pk).status == "suspended"
    assert Seat.objects.get(pk=idle["idle"][1].pk).status == "active"
    assert Seat.objects.get(pk=idle["separated"].pk).status == "revoked"
    page = main(client.get(job_url(job)))
    assert figures(page)["suspended"] == "1" and figures(page)["revoked"] == "1"


def test_reclaim__every_seat_listed__all_three(
    login, world, idle, django_capture_on_commit_callbacks
):
    client = login(ROLLOUT_MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("web:reclaim"), {"selection": "all", "confirmed": "yes"})
    assert Job.objects.get(kind="reclaim").done == 3


def test_reclaim__chosen_but_none_ticked__400_linking_the_list(login, world, idle):
    response = login(ROLLOUT_MANAGER).post(reverse("web:reclaim"), {"selection": "chosen"})
    assert response.status_code == 400
    html = main(response)
    assert 'href="#id_seats"' in html and 'id="id_seats"' in html
    assert "Tick at least one seat" in html


def test_reclaim__seat_that_is_not_a_candidate__400_nothing_reclaimed(login, world, idle):
    response = login(ROLLOUT_MANAGER).post(
        reverse("web:reclaim"),
        {"selection": "chosen", "seats": [idle["kept"].pk], "confirmed": "yes"},
    )
    assert response.status_code == 400
    assert "is no longer a candidate for reclamation" in main(response)
    assert not Job.objects.filter(kind="reclaim").exists()


# --- markup ----------------------------------------------------------------------------------


def test_console_markup__local_script_only_no_inline_style_labels_and_unique_ids(
    login, world, idle
):
    client = login(ROLLOUT_MANAGER)
    running = Job.objects.create(
        kind="cohort_activation", status="running", cohort=world["cohort_a"]
    )
    pages = [
        client.get(wave_url(world["wave2"])),
        client.get(cohort_url(world["cohort_a2"])),
        client.get(job_url(running)),
        client.get(reverse("web:reclaim")),
        client.get(wave_url(world["wave1"], "pause")),
        client.post(wave_url(world["wave1"], "pause"), {"reason": "x"}),
        client.post(cohort_url(world["cohort_a"], "cohort-activate"), {}),
        client.post(reverse("web:reclaim"), {"selection": "chosen"}),
    ]
    for response in pages:
        html = response.content.decode()
        scripts = re.findall(r"<script[^>]*>", html)
        assert all(re.fullmatch(r'<script src="/static/[^"]+" defer>', s) for s in scripts), scripts
        assert " style=" not in html and "<style" not in html
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, field_id
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


# --- the plan --------------------------------------------------------------------------------


def test_plan__new_wave__recorded_with_who_and_why(login, world, users):
    response = login(ROLLOUT_MANAGER).post(
        reverse("web:wave-create"),
        {
            "name": "Courts",
            "planned_start": "2027-01-11",
            "planned_end": "2027-02-05",
            "reason": "Board decision of 1 December",
        },
    )
    wave = Wave.objects.get(number=3)
    # (opened at the main content: the success message, not the form's #errors)
    assert response.status_code == 302 and response["Location"] == wave_url(wave) + "#main"
    assert (wave.name, wave.status, wave.contract) == ("Courts", "planned", world["contract"])
    created = wave.history.get()
    assert (created.history_user, created.history_change_reason) == (
        users[ROLLOUT_MANAGER],
        "Board decision of 1 December",
    )
    html = main(login(ROLLOUT_MANAGER).get(response["Location"]))
    assert "Wave 3 is planned." in html
    assert "Wave planned: “Courts”, 11 Jan 2027 – 5 Feb 2027 by manager" in html


def test_plan__new_wave_invalid__400_one_message_per_field(login, world):
    response = login(ROLLOUT_MANAGER).post(
        reverse("web:wave-create"),
        {"name": "", "planned_start": "next week", "planned_end": "2027-02-05", "reason": ""},
    )
    assert response.status_code == 400
    html = main(response)
    for field in ("id_name", "id_planned_start", "id_reason"):
        assert f'href="#{field}"' in html
    assert html.count('class="field-error"') == 3
    assert not Wave.objects.filter(number=3).exists()


def test_plan__new_wave_outside_the_term__409_in_the_services_words(login, world):
    response = login(ROLLOUT_MANAGER).post(
        reverse("web:wave-create"),
        {
            "name": "Too late",
            "planned_start": "2027-03-01",
            "planned_end": "2027-04-01",
            "reason": "x",
        },
    )
    assert response.status_code == 409
    assert "must lie inside the contract&#x27;s term" in main(response)


def test_plan__add_agency__cohort_recorded_and_the_projection_said(login, world, users):
    client = login(ROLLOUT_MANAGER)
    url = reverse("web:cohort-add", kwargs={"pk": world["wave2"].pk})
    # The form offers the agencies not yet in the wave
    form = main(client.get(url))
    assert f'value="{world["agency_c"].pk}"' in form
    assert f'value="{world["agency_a"].pk}"' not in form

    response = client.post(
        url,
        {
            "agency": world["agency_c"].pk,
            "seat_quota": "30",
            "onboarding_date": "2027-01-18",
            "reason": "AGC's roster is in",
        },
    )
    assert response["Location"] == wave_url(world["wave2"]) + "#main"
    cohort = Cohort.objects.get(wave=world["wave2"], agency=world["agency_c"])
    assert (cohort.seat_quota, cohort.onboarding_date) == (30, dt.date(2027, 1, 18))
    assert cohort.history.get().history_change_reason == "AGC's roster is in"
    after = contract_cost_report(contract=world["contract"]).projected_total
    html = main(client.get(response["Location"]))
    assert "AGC is in wave 2: quota 30, onboarding 18 Jan 2027." in html
    assert full_money(after) in html


def test_plan__add_agency_already_in_the_wave__400(login, world):
    response = login(ROLLOUT_MANAGER).post(
        reverse("web:cohort-add", kwargs={"pk": world["wave2"].pk}),
        {
            "agency": world["agency_a"].pk,
            "seat_quota": "5",
            "onboarding_date": "2027-01-18",
            "reason": "x",
        },
    )
    assert response.status_code == 400
    assert 'href="#id_agency"' in main(response)


def test_plan__change_cohort__quota_and_day_moved_with_the_reason(login, world):
    response = login(ROLLOUT_MANAGER).post(
        cohort_url(world["cohort_a2"], "cohort-edit"),
        {"seat_quota": "45", "onboarding_date": "2027-01-18", "reason": "Two more offices"},
    )
    assert response.status_code == 302
    cohort = Cohort.objects.get(pk=world["cohort_a2"].pk)
    assert (cohort.seat_quota, cohort.onboarding_date) == (45, dt.date(2027, 1, 18))
    assert cohort.history.latest().history_change_reason == "Two more offices"


def test_plan__change_cohort_of_a_running_wave__409_in_the_services_words(login, world):
    response = login(ROLLOUT_MANAGER).post(
        cohort_url(world["cohort_a"], "cohort-edit"),
        {"seat_quota": "60", "onboarding_date": "2026-03-02", "reason": "More"},
    )
    assert response.status_code == 409
    assert "its plan can only change while it is planned" in main(response)
    assert Cohort.objects.get(pk=world["cohort_a"].pk).seat_quota == 50


def test_plan__remove_cohort__confirmed_then_gone(login, world):
    client = login(ROLLOUT_MANAGER)
    url = cohort_url(world["cohort_a2"], "cohort-remove")
    first = main(client.post(url, {"reason": "AGA moves to wave 3"}))
    assert "AGA leaves wave 2; its quota of 40 seats stops counting" in first
    assert Cohort.objects.filter(pk=world["cohort_a2"].pk).exists()

    second = client.post(url, {"reason": "AGA moves to wave 3", "confirmed": "yes"})
    assert second["Location"] == wave_url(world["wave2"]) + "#main"
    assert not Cohort.objects.filter(pk=world["cohort_a2"].pk).exists()
    html = main(client.get(wave_url(world["wave2"])))
    assert "AGA is out of wave 2." in html
    assert "AGA removed: quota 40" in html


def test_plan__links__only_for_managers_and_only_while_planned(login, world):
    manager = login(ROLLOUT_MANAGER)
    planned = main(manager.get(wave_url(world["wave2"])))
    assert 'data-plan="add-cohort"' in planned and 'data-plan="edit-wave"' in planned
    running = main(manager.get(wave_url(world["wave1"])))
    assert "data-plan=" not in running and "The plan (agencies, quotas, days) is frozen" in running
    assert reverse("web:wave-create") in manager.get(reverse("web:timeline")).content.decode()
    # (the test client is one browser: logging in as finance signs the manager out)
    assert "data-plan=" not in main(login(FINANCE).get(wave_url(world["wave2"])))
    timeline = login(FINANCE).get(reverse("web:timeline")).content.decode()
    assert reverse("web:wave-create") not in timeline
