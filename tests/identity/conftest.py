"""Fixtures of the identity tests: a SCIM token and a client that speaks SCIM to /scim/v2/
(in-process), an agency and a contract with seats to separate."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from identity.services.tokens import scim_token_create

SCIM = "/scim/v2"
CONTENT_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ScimClient:
    """Django's test client with a bearer token, sending and reading SCIM JSON."""

    def __init__(self, token: str | None, address: str = "198.51.100.20"):
        self.client = Client()
        self.token = token
        self.address = address

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"REMOTE_ADDR": self.address}
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        for name, value in (extra or {}).items():
            headers["HTTP_" + name.upper().replace("-", "_")] = value
        return headers

    def get(self, path: str, headers: dict | None = None, **params):
        return self.client.get(SCIM + path, params, **self._headers(headers))

    def _send(self, method: str, path: str, body, headers=None, content_type=CONTENT_TYPE):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(
            SCIM + path, data=data, content_type=content_type, **self._headers(headers)
        )

    def post(self, path, body, **kw):
        return self._send("post", path, body, **kw)

    def put(self, path, body, **kw):
        return self._send("put", path, body, **kw)

    def patch(self, path, body, **kw):
        return self._send("patch", path, body, **kw)

    def delete(self, path, headers=None):
        return self.client.delete(SCIM + path, **self._headers(headers))


def user_body(user_name: str, **extra) -> dict:
    body = {"schemas": [USER_SCHEMA, ENTERPRISE], "userName": user_name, "active": True}
    body.update(extra)
    return body


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


@pytest.fixture
def scim_token(db):
    token, raw = scim_token_create(name="entra")
    token.raw = raw
    return token


@pytest.fixture
def scim(scim_token):
    return ScimClient(scim_token.raw)


@pytest.fixture
def dor(db):
    from tests.factories import AgencyFactory

    return AgencyFactory(code="DOR", name="Department of Revenue")


@pytest.fixture
def seated(dor):
    """An employee of DOR with an active seat in a running cohort, and their contract."""
    from licensing.services.seats import seat_activate, seat_approve, seat_request
    from tests.factories import EmployeeFactory
    from tests.rollout.builders import manager, running_cohort

    cohort = running_cohort(agency=dor, seat_quota=10)
    employee = EmployeeFactory(employee_number="1001", email="ann.lee@mass.example.gov", agency=dor)
    seat = seat_request(employee=employee, contract=cohort.wave.contract, cohort=cohort)
    seat = seat_activate(seat=seat_approve(seat=seat), actor=manager())
    return employee, seat


def provisioned(scim, user_name="ann.lee@mass.example.gov", number="1001", **extra) -> dict:
    """POST a user the way Entra ID does, and return the created resource."""
    body = user_body(
        user_name,
        externalId=extra.pop("externalId", "alee"),
        name={"givenName": "Ann", "familyName": "Lee"},
        emails=[{"type": "work", "value": user_name, "primary": True}],
        **{ENTERPRISE: {"employeeNumber": number, "department": extra.pop("department", "DOR")}},
        **extra,
    )
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.json()
    return response.json()
