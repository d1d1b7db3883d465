"""The pure rules of provisioning: what a seat's status asks of the vendor, the backoff, which
URLs get the token, and how long a 429 asks us to wait."""

from __future__ import annotations

import datetime as dt

import pytest

from vendor.choices import Operation, RevokeAction
from vendor.rules import (
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    endpoint_problem,
    operation_for,
    retry_after_seconds,
    retry_delay,
)

NOW = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "action", "other_live", "expected"),
    [
        ("active", RevokeAction.DELETE, False, Operation.ENSURE_ACTIVE),
        ("suspended", RevokeAction.DELETE, False, Operation.DEACTIVATE),
        ("revoked", RevokeAction.DELETE, False, Operation.DELETE),
        ("revoked", RevokeAction.DEACTIVATE, False, Operation.DEACTIVATE),
        ("revoked", RevokeAction.DELETE, True, Operation.NOTHING),
        ("requested", RevokeAction.DELETE, False, Operation.NOTHING),
        ("approved", RevokeAction.DELETE, False, Operation.NOTHING),
        ("held", RevokeAction.DELETE, False, Operation.NOTHING),
    ],
)
def test_operation_for__each_status__what_the_vendor_must_hold(
    status, action, other_live, expected
):
    assert (
        operation_for(status, revoke_action=action, person_has_other_live_seat=other_live)
        == expected
    )


def test_retry_delay__doubles_from_the_base__capped():
    delays = [retry_delay(n, base=2, cap=60) for n in range(0, 8)]
    assert delays == [0, 2, 4, 8, 16, 32, 60, 60]


def test_retry_delay__huge_attempt_count__no_overflow():
    assert retry_delay(10_000, base=2, cap=900) == 900


@pytest.mark.parametrize(
    "url",
    [
        "https://vendor.example/scim/v2",
        "http://127.0.0.1:8080/v2",
        "http://localhost:9000/scim",
        "http://[::1]:8000/v2",
    ],
)
def test_endpoint_problem__https_or_loopback_http__accepted(url):
    assert endpoint_problem(url) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "No SCIM base URL"),
        ("http://vendor.example/scim/v2", "only to this machine"),
        ("http://10.0.0.8/scim", "only to this machine"),
        ("ftp://vendor.example/", "https://"),
        ("https://user:pw@vendor.example/", "credentials"),
        ("https://vendor.example/scim?x=1", "query"),
        ("https:///nohost", "https://"),
        ("https://vendor.example:notaport/", "cannot be read"),
    ],
)
def test_endpoint_problem__anything_else__refused_with_the_reason(url, words):
    assert words in endpoint_problem(url)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("-5", 0.0),
        ("999999", MAX_RETRY_AFTER),
        ("Sat, 05 Dec 2026 15:00:30 GMT", 30.0),
        ("Sat, 05 Dec 2026 14:59:00 GMT", 0.0),
        (None, DEFAULT_RETRY_AFTER),
        ("soon", DEFAULT_RETRY_AFTER),
        ("nan", DEFAULT_RETRY_AFTER),
    ],
)
def test_retry_after_seconds__seconds_or_http_date__bounded(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds
