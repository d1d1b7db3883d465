"""Fixtures of the import and export tests: two agencies and a bargaining unit to import into,
and helpers that write a roster as CSV text, bytes in a given encoding, or an XLSX workbook."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

# The API tests' world (agencies A and B, a contract, seats) and a client per role.
from tests.api.conftest import _generous_throttles, clients, users, world  # noqa: F401
from tests.factories import AgencyFactory, BargainingUnitFactory

HEADER = (
    "employee_number,email,first_name,last_name,agency_code,bargaining_unit_code,job_title,"
    "employment_status,training_completed_on,policy_acknowledged_on"
)


def roster(*lines: str, header: str = HEADER) -> str:
    """A roster as CSV text: the header, then each line as given."""
    return "\r\n".join([header, *lines]) + "\r\n"


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def codes(db):
    """Agencies AGA and AGB and the unit NAGE1, as the roster files refer to them."""
    return {
        "AGA": AgencyFactory(code="AGA", name="Agency A"),
        "AGB": AgencyFactory(code="AGB", name="Agency B"),
        "NAGE1": BargainingUnitFactory(code="NAGE1", union="NAGE"),
    }
