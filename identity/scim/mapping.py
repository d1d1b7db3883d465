"""How a SCIM user stands for an employee of the roster: pure functions from a validated
scim2-models resource to the employee's fields and to the indexed look-up columns.

- employee number: the enterprise extension's `employeeNumber`, else `externalId`;
- e-mail: the `work` address, else the primary one, else the first, else `userName` when it is
  an address (Entra ID and Okta send the user principal name, the work address);
- names: `name.givenName` / `name.familyName`, else `displayName` (first word / the rest);
- job title: `title`;
- agency: the attribute `SCIM_AGENCY_ATTRIBUTE` names (enterprise `department` by default, or
  `division`, `organization`, `costCenter`), matched against agency codes and names;
- `active` false means separated.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from scim2_models import EnterpriseUser

AGENCY_ATTRIBUTES = {
    "department": "department",
    "division": "division",
    "organization": "organization",
    "costcenter": "cost_center",
}

_NAME_MAX = 100
_TITLE_MAX = 200
_NUMBER_MAX = 32


def comparison_key(value: str | None) -> str:
    """The form a case-insensitive SCIM string is compared in: NFC, lower-cased, trimmed (the
    default comparison of scim2-models, so the database and the library agree)."""
    if not value:
        return ""
    normalized = unicodedata.normalize("NFC", value.strip())
    return unicodedata.normalize("NFC", normalized.lower())


def _is_email(value: str | None) -> bool:
    if not value or len(value) > 254:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def work_email(resource) -> str:
    """The user's work address in comparison form, or ''."""
    emails = [e for e in (resource.emails or []) if e.value]
    chosen = (
        next((e for e in emails if str(e.type or "").lower() == "work"), None)
        or next((e for e in emails if e.primary), None)
        or (emails[0] if emails else None)
    )
    if chosen is not None:
        return comparison_key(chosen.value)
    return comparison_key(resource.user_name) if _is_email(resource.user_name) else ""


def _enterprise(resource) -> EnterpriseUser | None:
    try:
        return resource[EnterpriseUser]
    except (KeyError, TypeError):
        return None


@dataclass(frozen=True)
class EmployeeFields:
    """What a SCIM user says about their employee. None: the resource says nothing of it."""

    employee_number: str | None
    email: str | None
    first_name: str
    last_name: str
    job_title: str | None
    agency: str | None
    active: bool

    def missing(self) -> list[str]:
        """What a new employee needs and the resource does not give."""
        gaps = []
        if not self.employee_number:
            gaps.append("an employee number (employeeNumber or externalId)")
        if not self.email:
            gaps.append("a work e-mail address")
        return gaps


def _clip(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def employee_fields(resource, *, agency_attribute: str = "department") -> EmployeeFields:
    """The employee a SCIM user stands for, as far as the resource tells."""
    enterprise = _enterprise(resource)
    number = (enterprise.employee_number if enterprise else None) or resource.external_id
    number = _clip(number, _NUMBER_MAX) or None
    email = work_email(resource)
    name = resource.name
    first = _clip(name.given_name if name else None, _NAME_MAX)
    last = _clip(name.family_name if name else None, _NAME_MAX)
    if not (first or last) and resource.display_name:
        head, _, rest = resource.display_name.strip().partition(" ")
        first, last = _clip(head, _NAME_MAX), _clip(rest, _NAME_MAX)
    field = AGENCY_ATTRIBUTES.get(agency_attribute.replace("_", "").lower(), "department")
    agency = getattr(enterprise, field, None) if enterprise else None
    agency = agency.strip() if isinstance(agency, str) and agency.strip() else None
    return EmployeeFields(
        employee_number=number,
        email=email if _is_email(email) else None,
        first_name=first,
        last_name=last,
        job_title=_clip(resource.title, _TITLE_MAX) if resource.title is not None else None,
        agency=agency,
        active=resource.active is not False,
    )
