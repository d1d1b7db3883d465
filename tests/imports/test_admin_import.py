"""The admin's roster import: upload → preview (dry run) → confirm, recorded on job rows; a
rejected file offers no confirm step; the standard django-import-export path keeps the audit
trail (history) and the separation rule; admin exports are recorded and escaped."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats import base_formats

from agencies.models import Employee, ImportUpload
from core.models import Job
from licensing.services.seats import seat_request
from tests.factories import ContractFactory, EmployeeFactory
from tests.imports.conftest import roster, xlsx

pytestmark = pytest.mark.django_db


def upload(client, content: bytes, name: str = "roster.csv"):
    return client.post(
        reverse("admin:agencies_roster_import"),
        {"roster": SimpleUploadedFile(name, content)},
    )


def test_admin_fast_import__preview_then_confirm__employees_created(
    admin_client, admin_user, codes
):
    # Given a roster uploaded on the fast import page
    response = upload(admin_client, roster("E1,ann@x.org,Ann,Lee,AGA,,,active,,").encode())
    assert response.status_code == 302
    preview = Job.objects.get(kind="roster_import", dry_run=True)
    # Then the preview says what would happen and nothing is written yet
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert b"Confirm: import this file" in page.content
    assert preview.outcome["new"] == 1 and Employee.objects.count() == 0
    # When the person confirms
    confirmed = admin_client.post(response["Location"])
    # Then the import runs as its own job, the employee exists and the upload is gone
    assert confirmed.status_code == 302
    job = Job.objects.get(kind="roster_import", dry_run=False)
    assert (job.status, job.requested_by, job.outcome["new"]) == ("succeeded", admin_user, 1)
    employee = Employee.objects.get()
    assert employee.history.get().history_user == admin_user
    assert not ImportUpload.objects.exists()
    # And confirming the same preview again is refused
    admin_client.post(response["Location"])
    assert Job.objects.filter(kind="roster_import", dry_run=False).count() == 1


def test_admin_fast_import__rejected_file__errors_listed_no_confirm(admin_client, codes):
    response = upload(admin_client, roster("E1,ann@x.org,Ann,Lee,NOPE,,,active,,").encode())
    page = admin_client.get(response["Location"])
    content = page.content.decode()
    assert "The file is rejected" in content
    assert "unknown agency code &#x27;NOPE&#x27;" in content
    assert "Confirm: import this file" not in content
    errors = admin_client.get(response["Location"] + "errors.csv")
    assert b"2,agency_code,unknown agency code 'NOPE'" in errors.content


def test_admin_fast_import__xlsx__previewed(admin_client, codes):
    data = xlsx(
        [
            ["employee_number", "email", "first_name", "last_name", "agency_code"],
            ["E1", "a@x.org", "A", "L", "AGA"],
        ]
    )
    response = upload(admin_client, data, "roster.xlsx")
    assert Job.objects.get(kind="roster_import").outcome["new"] == 1
    assert admin_client.get(response["Location"]).status_code == 200


def test_admin_fast_import__large_file__queued_task_runs(
    admin_client, codes, django_capture_on_commit_callbacks
):
    lines = [
        f"E{i},p{i}@x.org,Person,Number {i:05d},AGA,,Program Coordinator,active,"
        "2026-01-15,2026-01-15"
        for i in range(3500)
    ]
    content = roster(*lines).encode()
    assert len(content) > 256 * 1024
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(admin_client, content)
    assert len(callbacks) == 1
    preview = Job.objects.get(kind="roster_import", dry_run=True)
    assert preview.status == "succeeded" and preview.outcome["new"] == 3500
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(response["Location"])
    assert Employee.objects.count() == 3500


def test_admin_fast_import__needs_add_and_change_permission(client, django_user_model, codes):
    user = django_user_model.objects.create_user(
        "staff", password="pw-for-tests-only", is_staff=True
    )
    client.force_login(user)
    assert client.get(reverse("admin:agencies_roster_import")).status_code == 403


def test_admin_standard_import__history_and_separation(admin_client, admin_user, codes):
    contract = ContractFactory()
    leaving = EmployeeFactory(employee_number="HR1", email="ann@x.org", agency=codes["AGA"])
    seat = seat_request(employee=leaving, contract=contract)
    header = (
        "employee_number,email,first_name,last_name,agency,bargaining_unit,job_title,"
        "employment_status,training_completed_on,policy_acknowledged_on"
    )
    text = "\n".join(
        [
            header,
            f"HR1,ann@x.org,{leaving.first_name},{leaving.last_name},AGA,,Program Coordinator,"
            "separated,2026-01-15,2026-01-15",
            "HR2,bob@x.org,Bob,Ray,AGB,,Clerk,active,,",
        ]
    )
    admin_site_url = reverse("admin:agencies_employee_import")
    formats = admin_client.get(admin_site_url).context["form"].fields["format"].choices
    fmt = next(value for value, label in formats if label.lower() == "csv")
    preview = admin_client.post(
        admin_site_url,
        {
            "resource": "0",
            "format": fmt,
            "import_file": SimpleUploadedFile("std.csv", text.encode()),
        },
    )
    confirm_form = preview.context["confirm_form"]
    data = {name: confirm_form.initial[name] for name in confirm_form.fields}
    admin_client.post(reverse("admin:agencies_employee_process_import"), data)
    bob = Employee.objects.get(employee_number="HR2")
    history = bob.history.get()
    assert (history.history_user, history.history_change_reason) == (
        admin_user,
        "admin import std.csv",
    )
    seat.refresh_from_db()
    assert seat.status == "revoked"
    event = seat.events.order_by("-at").first()
    assert event.job is not None and "admin import std.csv" in event.reason
    assert base_formats.CSV  # the standard formats stay offered


def test_admin_exports_page__download_recorded(admin_client, admin_user, codes):
    EmployeeFactory(first_name="=cmd", agency=codes["AGA"])
    assert admin_client.get(reverse("admin:agencies_exports")).status_code == 200
    response = admin_client.post(
        reverse("admin:agencies_exports"), {"kind": "employees", "format": "csv"}
    )
    assert response.status_code == 200 and b"'=cmd" in response.content
    job = Job.objects.get(kind="export")
    assert (job.requested_by, job.outcome["via"]) == (admin_user, "admin")


def test_admin_standard_export__escaped_and_recorded(admin_client, admin_user, codes):
    EmployeeFactory(first_name="=cmd", agency=codes["AGA"])
    url = reverse("admin:agencies_employee_export")
    formats = admin_client.get(url).context["form"].fields["format"].choices
    fmt = next(value for value, label in formats if label.lower() == "csv")
    response = admin_client.post(
        url, {"format": fmt, "resource": "0", "employeeresource_first_name": "on"}
    )
    assert response.status_code == 200
    assert b"'=cmd" in response.content
    assert Job.objects.get(kind="export").requested_by == admin_user
