"""The usage import: vendor files with other column names and extra columns become usage days
and last-activity times, idempotently; unknown e-mails are reported, malformed rows reject."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import Job
from licensing.models import Seat, UsageDay
from licensing.services.seats import seat_request, seat_revoke
from licensing.usage_import import usage_import
from tests.factories import ContractFactory, EmployeeFactory
from tests.imports.conftest import xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def seats(db):
    contract = ContractFactory()
    ann = EmployeeFactory(email="ann@x.org")
    bob = EmployeeFactory(email="bob@x.org")
    return {
        "contract": contract,
        "ann": seat_request(employee=ann, contract=contract),
        "bob": seat_request(employee=bob, contract=contract),
    }


def run(text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return usage_import(file=data, filename="usage.csv", **kwargs)


VENDOR = (
    "Name,User Email,Role,Day,Messages Sent,GPT Messages\r\n"
    "Ann,ANN@x.org,user,2026-03-02,4,1\r\n"
    "Ann,ann@x.org,user,03/03/2026,2,0\r\n"
    "Bob,bob@x.org,user,2026-03-02,0,0\r\n"
    "Ghost,ghost@x.org,user,2026-03-02,9,0\r\n"
    "Bob,bob@x.org,user,2026-03-04,7,0\r\n"
)


def test_usage__vendor_aliases_and_extra_columns__usage_days_written(seats):
    report = run(VENDOR)
    assert not report.rejected, report.errors
    assert (report.new, report.zero_days, report.unknown_rows) == (3, 1, 1)
    assert set(report.unknown_emails) == {"ghost@x.org"}
    days = set(UsageDay.objects.values_list("seat_id", "date", "messages"))
    assert days == {
        (seats["ann"].pk, dt.date(2026, 3, 2), 4),
        (seats["ann"].pk, dt.date(2026, 3, 3), 2),
        (seats["bob"].pk, dt.date(2026, 3, 4), 7),
    }
    ann = Seat.objects.get(pk=seats["ann"].pk)
    assert timezone.localtime(ann.last_active_at).date() == dt.date(2026, 3, 3)
    assert any("Role" in w for w in report.warnings)
    assert Job.objects.get(pk=report.job_id).kind == "usage_import"


def test_usage__same_file_twice__second_changes_nothing(seats):
    run(VENDOR)
    rows = list(UsageDay.objects.order_by("pk").values())
    active = list(Seat.objects.order_by("pk").values_list("last_active_at", flat=True))
    again = run(VENDOR)
    assert (again.new, again.changed, again.unchanged, again.last_active_moved) == (0, 0, 3, 0)
    assert list(UsageDay.objects.order_by("pk").values()) == rows
    assert list(Seat.objects.order_by("pk").values_list("last_active_at", flat=True)) == active


def test_usage__corrected_count__updated_not_duplicated(seats):
    run("email,date,messages\r\nann@x.org,2026-03-02,4\r\n")
    report = run("email,date,messages\r\nann@x.org,2026-03-02,6\r\n")
    assert (report.new, report.changed) == (0, 1)
    assert UsageDay.objects.get().messages == 6


def test_usage__older_file__last_active_never_moves_back(seats):
    run("email,date,messages\r\nann@x.org,2026-03-09,1\r\n")
    run("email,date,messages\r\nann@x.org,2026-03-01,1\r\n")
    ann = Seat.objects.get(pk=seats["ann"].pk)
    assert timezone.localtime(ann.last_active_at).date() == dt.date(2026, 3, 9)


def test_usage__malformed_rows__rejected_and_nothing_written(seats):
    report = run(
        "email,date,messages\r\nann@x.org,2026-03-02,4\r\nbob@x.org,2026-02-30,1\r\n"
        ",2026-03-02,1\r\nann@x.org,2026-03-03,many\r\n"
    )
    assert report.rejected
    assert [(e["line"], e["column"]) for e in report.errors] == [
        (3, "date"),
        (4, "email"),
        (5, "messages"),
    ]
    assert UsageDay.objects.count() == 0
    assert Seat.objects.filter(last_active_at__isnull=False).count() == 0


def test_usage__missing_column__rejected(seats):
    report = run("email,messages\r\nann@x.org,4\r\n")
    assert report.rejected and "date" in report.errors[0]["reason"]


def test_usage__revoked_then_new_seat__day_goes_to_the_seat_held_that_day(seats):
    old = seats["ann"]
    seat_revoke(seat=old)
    new = seat_request(employee=old.employee, contract=seats["contract"])
    report = run(f"email,date,messages\r\nann@x.org,{timezone.localdate().isoformat()},3\r\n")
    assert report.new == 1
    assert UsageDay.objects.get().seat_id == new.pk


def test_usage__xlsx_with_date_cells__imported(seats):
    data = xlsx([["email", "date", "messages"], ["ann@x.org", dt.datetime(2026, 3, 2), 5.0]])
    report = usage_import(file=data, filename="usage.xlsx")
    assert report.new == 1 and UsageDay.objects.get().messages == 5


def test_usage__dry_run__writes_nothing(seats):
    report = run(VENDOR, dry_run=True)
    assert report.new == 3 and not report.written
    assert UsageDay.objects.count() == 0
