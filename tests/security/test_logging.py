"""Logs never carry an API key or a person's email or name: the application does not log them
(checked with caplog over real requests, refusals included), and config/logging_filters.py
redacts what a library or an exception text might add anyway."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from agencies.choices import EmploymentStatus
from config.logging_filters import EMAIL_MARK, KEY_MARK, RedactingFilter, redact
from rollout.choices import WaveStatus
from tests.factories import (
    AgencyFactory,
    CohortFactory,
    ContractFactory,
    EmployeeFactory,
    WaveFactory,
)

KEY = "AbCdEfGh.0123456789abcdefghijklmnopqrstuv"


def _api_key(username: str, role: str) -> str:
    out = io.StringIO()
    call_command("create_api_user", "--username", username, "--role", role, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.fixture
def world(db):
    agency = AgencyFactory(code="DPH")
    contract = ContractFactory()
    wave = WaveFactory(contract=contract, status=WaveStatus.IN_PROGRESS)
    cohort = CohortFactory(wave=wave, agency=agency, seat_quota=10)
    people = [
        EmployeeFactory(
            agency=agency,
            first_name="Zebulon",
            last_name="Quackenbush",
            email="zebulon.quackenbush@mass.example.gov",
            employment_status=EmploymentStatus.SEPARATED,
        ),
        EmployeeFactory(
            agency=agency,
            first_name="Philippa",
            last_name="Montgomerie",
            email="philippa.montgomerie@mass.example.gov",
            training_completed_on=None,
        ),
        EmployeeFactory(
            agency=agency,
            first_name="Octavia",
            last_name="Fairweather",
            email="octavia.fairweather@mass.example.gov",
        ),
    ]
    return contract, cohort, people


def _personal(people) -> list[str]:
    return [v for p in people for v in (p.email, p.first_name, p.last_name)]


def test_api_traffic__refusals_and_errors__no_key_and_no_personal_field_logged(world, caplog):
    # Given a rollout manager's key and people whose requests will be refused
    contract, cohort, people = world
    separated, untrained, _ready = people
    key = _api_key("logging.manager", "rollout_manager")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    caplog.set_level(logging.DEBUG)

    # When requests succeed, are refused (409), fail authentication (401) or miss (404)
    statuses = [client.post("/api/v1/seats/", {"employee": separated.pk, "contract": contract.pk})]
    made = client.post(
        "/api/v1/seats/",
        {"employee": untrained.pk, "contract": contract.pk, "cohort": cohort.pk},
    )
    statuses.append(made)
    statuses.append(client.post(f"/api/v1/seats/{made.json()['id']}/activate/", {}))
    statuses.append(client.post(f"/api/v1/cohorts/{cohort.pk}/activate/", {"dry_run": False}))
    statuses.append(client.get("/api/v1/employees/", {"search": "Zebulon"}))
    statuses.append(client.get("/api/v1/seats/999999/"))
    stranger = APIClient(raise_request_exception=False)
    stranger.credentials(HTTP_AUTHORIZATION=f"Api-Key {KEY}")
    statuses.append(stranger.get("/api/v1/seats/"))
    assert [r.status_code for r in statuses] == [409, 201, 409, 202, 200, 404, 401]

    # Then something was logged, but no key, email or name
    assert caplog.records
    logged = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    for secret in (key, key.split(".", 1)[1], KEY, KEY.split(".", 1)[1]):
        assert secret not in logged
    for value in _personal(people):
        assert value not in logged, value


def test_redact__api_keys_and_authorization_values__replaced():
    text = (
        f"Authorization: Api-Key {KEY} | HTTP_AUTHORIZATION='Bearer t0k3n' | "
        f"api-key {KEY} | key={KEY}"
    )

    cleaned = redact(text)

    assert KEY not in cleaned and "t0k3n" not in cleaned
    assert cleaned.count(KEY_MARK) >= 4


def test_redact__email_addresses__replaced():
    cleaned = redact("Key (email)=(Jane.Doe+ai@mass.gov) already exists; cc ops@eotss.mass.gov")

    assert "Jane.Doe" not in cleaned and "ops@" not in cleaned
    assert cleaned.count(EMAIL_MARK) == 2


def test_filter__message_arguments_and_traceback__redacted():
    # Given a record whose arguments and exception text carry a key and an email
    try:
        raise ValueError("duplicate key: jane.doe@mass.gov")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "auth %s for %s",
            (KEY, "a@b.org"),
            exc_info=__import__("sys").exc_info(),
        )

    # When the filter runs
    assert RedactingFilter().filter(record) is True

    # Then the written line and the traceback are clean
    line = logging.Formatter("%(message)s").format(record)
    assert KEY not in line and "a@b.org" not in line and "jane.doe@mass.gov" not in line
    assert EMAIL_MARK in line and KEY_MARK in line


def test_filter__ordinary_message__unchanged():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "cohort %s: %s seats", (7, 12), None)

    RedactingFilter().filter(record)

    assert record.getMessage() == "cohort 7: 12 seats"


def test_console_log__any_environment__written_redacted():
    # Given the console handler that base settings configure for every process (web, worker, beat)
    console = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactingFilter) for f in h.filters)
    ]
    assert len(console) == 1
    stream = io.StringIO()
    previous = console[0].setStream(stream)
    try:
        # When something logs a key and an address
        logging.getLogger("seatplan.test").warning("key %s for a.person@mass.gov", KEY)
    finally:
        console[0].setStream(previous)
    # Then the line is written, with neither in it
    line = stream.getvalue()
    assert KEY_MARK in line and EMAIL_MARK in line
    assert KEY not in line and "a.person@mass.gov" not in line
