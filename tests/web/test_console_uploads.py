"""Roster and usage uploads from the console: upload, read the dry run (counts and every rejected
row with its line, column and reason), confirm the same file without uploading it again; the
job's page while it runs and after; who may do it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.models import Employee, ImportUpload
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from core.models import Job
from licensing.models import UsageDay
from tests.imports.conftest import roster

NOT_MANAGERS = (FINANCE, AGENCY_COORDINATOR, API_READER, "no_role")
GOOD = roster(
    "N0001,new.one@example.gov,Ada,Quinn,AGA,,Analyst,active,2026-01-15,2026-01-15",
    "N0002,new.two@example.gov,Ben,Ruiz,AGB,,,active,,",
)
BAD = roster(
    "N0001,new.one@example.gov,Ada,Quinn,AGA,,Analyst,active,2026-02-30,",
    "N0002,not-an-address,Ben,Ruiz,NOPE,,,active,,",
)


def upload(client, content: str, name: str = "roster.csv", url: str = "web:import-roster", **extra):
    return client.post(reverse(url), {"file": SimpleUploadedFile(name, content.encode()), **extra})


@pytest.mark.parametrize("role", NOT_MANAGERS)
@pytest.mark.parametrize("name", ["web:imports", "web:import-roster", "web:import-usage"])
def test_imports_pages__not_a_manager__403(login, world, role, name):
    assert login(role).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_roster_upload__not_a_manager__403_nothing_kept(login, world, role):
    assert upload(login(role), GOOD).status_code == 403
    assert not ImportUpload.objects.exists() and not Job.objects.filter(kind="roster_import")


def test_imports_pages__anonymous__login(client, world):
    response = client.get(reverse("web:imports"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_roster_upload__rows_with_errors__rejected_with_line_column_reason(login, world):
    client = login(ROLLOUT_MANAGER)

    # When a manager uploads a roster with a bad date, a bad address and an unknown agency
    response = upload(client, BAD)

    # Then they land on the preview's page (a GET), which lists each problem and offers no
    # confirmation, and nothing was written
    assert response.status_code == 302
    job = Job.objects.get(kind="roster_import")
    assert response["Location"] == reverse("web:import-job", kwargs={"pk": job.pk}) + "#report"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "The file is rejected" in html
    for line, column in ((2, "training_completed_on"), (3, "email"), (3, "agency_code")):
        assert f'<th scope="row" class="num">{line}</th><td data-label="Column">{column}</td>' in (
            html
        ), (line, column)
    assert "unknown agency code &#x27;NOPE&#x27;" in html
    assert "Import this roster" not in html
    assert not Employee.objects.filter(employee_number__startswith="N").exists()

    # And the errors download as CSV
    errors = client.get(reverse("web:import-errors", kwargs={"pk": job.pk}))
    assert errors.status_code == 200
    assert b"3,agency_code,unknown agency code 'NOPE'" in errors.content


def test_roster_upload__good_file__preview_then_the_same_file_confirmed(login, world, users):
    client = login(ROLLOUT_MANAGER)

    # Given a good roster uploaded: its preview says what will happen and writes nothing
    preview_url = upload(client, GOOD)["Location"]
    html = client.get(preview_url).content.decode()
    assert "What the import will do" in html
    assert 'data-value="2"' in html  # two new employees
    assert "Import this roster" in html
    assert not Employee.objects.filter(employee_number__startswith="N").exists()

    # When the manager confirms (no file is posted again)
    preview = Job.objects.get(kind="roster_import", dry_run=True)
    confirm = reverse("web:import-confirm", kwargs={"pk": preview.pk})
    done = client.post(confirm)

    # Then the kept file is imported as its own job, whose page says so
    assert done.status_code == 302
    job = Job.objects.get(kind="roster_import", dry_run=False)
    assert done["Location"] == reverse("web:import-job", kwargs={"pk": job.pk}) + "#report"
    assert (job.status, job.requested_by, job.outcome["new"]) == (
        "succeeded",
        users[ROLLOUT_MANAGER],
        2,
    )
    assert Employee.objects.filter(employee_number__startswith="N").count() == 2
    assert not ImportUpload.objects.exists()
    assert "What the import did" in client.get(done["Location"]).content.decode()
    assert f"job #{job.pk}" in client.get(preview_url).content.decode()

    # And confirming the same preview again is refused with the service's words
    again = client.post(confirm)
    assert again.status_code == 409
    assert "has been imported (or is being imported) already" in again.content.decode()
    assert Job.objects.filter(kind="roster_import", dry_run=False).count() == 1


def test_roster_confirm__rejected_preview__409(login, world):
    client = login(ROLLOUT_MANAGER)
    upload(client, BAD)
    preview = Job.objects.get(kind="roster_import")
    response = client.post(reverse("web:import-confirm", kwargs={"pk": preview.pk}))
    assert response.status_code == 409
    assert "rejected the file" in response.content.decode()


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_roster_confirm__not_a_manager__403_nothing_imported(login, world, role):
    upload(login(ROLLOUT_MANAGER), GOOD)
    preview = Job.objects.get(kind="roster_import")
    response = login(role).post(reverse("web:import-confirm", kwargs={"pk": preview.pk}))
    assert response.status_code == 403
    assert not Job.objects.filter(kind="roster_import", dry_run=False).exists()


def test_roster_upload__no_file__400_at_the_error_summary(login, world):
    response = login(ROLLOUT_MANAGER).post(reverse("web:import-roster"), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="errors"' in html and 'href="#id_file"' in html
    assert 'enctype="multipart/form-data"' in html
    assert f'action="{reverse("web:import-roster")}#errors"' in html


def test_roster_upload__empty_file__400(login, world):
    response = upload(login(ROLLOUT_MANAGER), "")
    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()


def test_usage_upload__preview_then_confirmed__usage_days_for_the_chosen_contract(login, world):
    # Given AGA's first person, who holds an active seat since March
    employee = world["staff_a"][0]
    text = (
        "User Email,Day,Messages Sent\r\n"
        f"{employee.email},2026-11-20,5\r\n"
        "ghost@x.org,2026-11-20,1\r\n"
    )
    client = login(ROLLOUT_MANAGER)

    # When the vendor's export is uploaded for the contract, previewed and confirmed
    response = upload(client, text, "usage.csv", "web:import-usage", contract=world["contract"].pk)
    html = client.get(response["Location"]).content.decode()
    assert "What the import will do" in html
    assert "ghost@x.org" in html  # unknown e-mails are reported, not fatal
    assert not UsageDay.objects.exists()
    preview = Job.objects.get(kind="usage_import")
    done = client.post(reverse("web:import-confirm", kwargs={"pk": preview.pk}))

    # Then the day is recorded on the person's seat
    assert done.status_code == 302
    day = UsageDay.objects.get()
    assert (day.seat.employee, day.date, day.messages) == (employee, dt.date(2026, 11, 20), 5)
    assert Job.objects.get(kind="usage_import", dry_run=False).outcome["contract"] == (
        world["contract"].pk
    )


def test_usage_upload__malformed_row__rejected_with_its_line(login, world):
    client = login(ROLLOUT_MANAGER)
    text = "email,date,messages\r\na@x.org,2026-13-01,3\r\n"
    response = upload(client, text, "usage.csv", "web:import-usage", contract=world["contract"].pk)
    html = client.get(response["Location"]).content.decode()
    assert "The file is rejected" in html
    assert '<th scope="row" class="num">2</th><td data-label="Column">date</td>' in html


def test_import_job_page__running__follows_the_job_and_shows_progress(login, world):
    # Given an import half-way through
    job = Job.objects.create(
        kind="roster_import", status="running", subject="big.csv", done=1200, total=40000
    )
    client = login(ROLLOUT_MANAGER)

    # Then its page shows the progress and loads the local script that follows it (a timed
    # <meta refresh> would take the page away from a reader: axe-core's meta-refresh rule)
    html = client.get(reverse("web:import-job", kwargs={"pk": job.pk})).content.decode()
    progress_url = reverse("web:import-job-progress", kwargs={"pk": job.pk})
    assert "http-equiv" not in html
    assert f'data-job-progress="{progress_url}"' in html and "job-progress.js" in html
    assert "1,200 of about 40,000 rows read (3%)" in html
    assert "Import this roster" not in html

    # And the script's answer is the job's figures
    answer = client.get(progress_url).json()
    assert answer == {
        "status": "running",
        "status_label": "Running",
        "done": 1200,
        "total": 40000,
        "percent": 3,
        "finished": False,
    }


def test_import_job_progress__not_a_manager_or_not_an_import__refused(login, world):
    job = Job.objects.create(kind="roster_import", status="running", subject="big.csv")
    url = reverse("web:import-job-progress", kwargs={"pk": job.pk})
    assert login(FINANCE).get(url).status_code == 403
    other = reverse("web:import-job-progress", kwargs={"pk": world["job"].pk})
    assert login(ROLLOUT_MANAGER).get(other).status_code == 404


def test_import_job_page__not_an_import__404(login, world):
    response = login(ROLLOUT_MANAGER).get(reverse("web:import-job", kwargs={"pk": world["job"].pk}))
    assert response.status_code == 404


def test_imports_page__lists_the_latest_imports(login, world):
    client = login(ROLLOUT_MANAGER)
    upload(client, BAD, "broken.csv")
    html = client.get(reverse("web:imports")).content.decode()
    assert "broken.csv" in html and "Rejected" in html
    assert "Imports" in html  # the navigation's link, a manager's only
    nav = login(FINANCE).get(reverse("web:seats")).content.decode()
    assert reverse("web:imports") not in nav


def test_import_confirm__opened_with_a_get__a_page_not_a_405(login, world):
    client = login(ROLLOUT_MANAGER)
    upload(client, GOOD)
    preview = Job.objects.get(kind="roster_import")
    response = client.get(reverse("web:import-confirm", kwargs={"pk": preview.pk}))
    assert response.status_code == 200
    assert "Import this roster" in response.content.decode()
