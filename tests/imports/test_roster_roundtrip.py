"""The demo roster round trip: seed the demo, export the employees, import the export: nothing
changes, as CSV and as XLSX (the design's 40,000 people in the slow variant)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from agencies.imports import roster_import
from agencies.models import Employee
from licensing.exports import export_build
from licensing.models import SeatEvent

pytestmark = pytest.mark.django_db


def seed(scale: str) -> None:
    call_command("seed_demo", "--scale", scale, stdout=io.StringIO())


def round_trip(fmt: str):
    before = list(Employee.objects.order_by("pk").values())
    history, events = Employee.history.count(), SeatEvent.objects.count()
    export = export_build(kind="employees", fmt=fmt, actor=None)
    report = roster_import(file=export.content, filename=export.filename)
    assert not report.rejected, report.errors[:5]
    assert report.rows == export.rows == len(before)
    assert (report.new, report.updated, report.invalid, report.seats_revoked) == (0, 0, 0, 0)
    assert report.unchanged == len(before)
    assert list(Employee.objects.order_by("pk").values()) == before
    assert (Employee.history.count(), SeatEvent.objects.count()) == (history, events)
    return report


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_roundtrip__demo_at_scale_0_025__no_changes(fmt):
    seed("0.025")
    assert Employee.objects.count() >= 1000
    round_trip(fmt)


def test_roundtrip__formula_names_escaped_on_export__read_back_unchanged():
    seed("0.025")
    Employee.objects.filter(pk=Employee.objects.order_by("pk").first().pk).update(
        first_name="=HYPERLINK(1)", last_name="+Lee", job_title="@SUM(A1)"
    )
    export = export_build(kind="employees", fmt="csv", actor=None)
    assert b"'=HYPERLINK(1)" in export.content
    round_trip("csv")


@pytest.mark.slow
def test_roundtrip__full_demo_40000__no_changes():
    seed("1")
    assert Employee.objects.count() == 40_000
    report = round_trip("csv")
    assert report.unchanged == 40_000
