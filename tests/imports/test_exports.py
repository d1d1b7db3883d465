"""Exports: formula cells escaped in CSV and XLSX, every export recorded with who and what, and
the API's roles and agency scope (finance and rollout managers everything, coordinators their own
agencies' rows, API readers nothing)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from core.models import Job
from licensing.exports import escape_cell, export_build
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def url(kind: str, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("exports:export", kwargs={"kind": kind}) + (f"?{query}" if query else "")


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+Lee", "'+Lee"),
        ("-Bob", "'-Bob"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Ann", "Ann"),
        ("a=b", "a=b"),
        (5, 5),
        (None, None),
    ],
)
def test_escape_cell__formula_starts__apostrophe(value, expected):
    assert escape_cell(value) == expected


def test_export_employees__csv__formula_cells_escaped_and_recorded(world, users):
    EmployeeFactory(
        employee_number="=E9", first_name="=HYPERLINK(1)", last_name="@x", agency=world["agency_a"]
    )
    export = export_build(kind="employees", fmt="csv", actor=users[FINANCE])
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["employee_number", "email"]
    escaped = next(r for r in rows if r[0] == "'=E9")
    assert escaped[2:4] == ["'=HYPERLINK(1)", "'@x"]
    job = export.job
    assert (job.kind, job.status, job.requested_by, job.done) == (
        "export",
        "succeeded",
        users[FINANCE],
        len(rows) - 1,
    )
    assert job.outcome["kind"] == "employees" and job.outcome["format"] == "csv"


def test_export_employees__xlsx__formula_cells_are_text(world, users):
    EmployeeFactory(employee_number="E9", first_name="=1+1", agency=world["agency_a"])
    export = export_build(kind="employees", fmt="xlsx", actor=users[FINANCE])
    sheet = load_workbook(io.BytesIO(export.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    row = next(r for r in values if r[0] == "E9")
    assert row[2] == "'=1+1"
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


@pytest.mark.parametrize(
    "kind", ["employees", "seats", "seat-events", "billing-lines", "chargeback"]
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_api__finance__file_and_job(world, clients, users, kind, fmt):
    response = clients[FINANCE].get(url(kind, format=fmt))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith("attachment; filename=")
    job = Job.objects.get(pk=response["X-Export-Job"])
    assert (job.kind, job.requested_by, job.outcome["kind"]) == ("export", users[FINANCE], kind)


def test_export_api__coordinator__own_agency_rows_only(world, clients):
    response = clients[AGENCY_COORDINATOR].get(url("employees"))
    assert response.status_code == 200
    numbers = {r[0] for r in rows_of(response)[1:]}
    assert numbers == {e.employee_number for e in world["employees_a"]}
    seats = rows_of(clients[AGENCY_COORDINATOR].get(url("seats")))
    assert {r[6] for r in seats[1:]} == {"AGA"}
    events = rows_of(clients[AGENCY_COORDINATOR].get(url("seat-events")))
    assert {r[4] for r in events[1:]} == {"AGA"}


def test_export_api__coordinator_billing_lines__403(world, clients):
    assert clients[AGENCY_COORDINATOR].get(url("billing-lines")).status_code == 403


@pytest.mark.parametrize(
    ("who", "status"), [(API_READER, 403), ("no_role", 403), ("anonymous", 401)]
)
def test_export_api__no_export_role__refused(world, clients, who, status):
    response = clients[who].get(url("employees"))
    assert response.status_code == status
    assert response.json()["code"] in {"permission_denied", "not_authenticated"}
    assert not Job.objects.filter(kind="export").exists()


def test_export_api__manager_all_agencies(world, clients):
    rows = rows_of(clients[ROLLOUT_MANAGER].get(url("employees")))
    assert len(rows) - 1 == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"format": "pdf"}, "format"),
        ({"since": "2026-13-01"}, "since"),
        ({"contract": "nope"}, "contract"),
    ],
)
def test_export_api__bad_parameters__400_error_shape(world, clients, query, field):
    response = clients[FINANCE].get(url("seats", **query))
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_export_api__unknown_kind__404(world, clients):
    assert clients[FINANCE].get(url("passwords")).status_code == 404


def test_export_chargeback__parts_add_up_to_each_period_charge(world, clients):
    rows = rows_of(
        clients[FINANCE].get(
            url("chargeback", contract=world["contract"].number, as_of="2026-04-20")
        )
    )
    header, body = rows[0], rows[1:]
    assert header[3] == "agency_code"
    by_period: dict[str, Decimal] = {}
    charge: dict[str, Decimal] = {}
    for row in body:
        by_period[row[1]] = by_period.get(row[1], Decimal(0)) + Decimal(row[9])
        charge[row[1]] = Decimal(row[8])
    assert by_period and by_period == charge
    assert dt.date.fromisoformat(min(by_period)) == world["contract"].start_date
