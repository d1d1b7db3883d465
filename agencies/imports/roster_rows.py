"""One roster row: its columns, how each cell is read, and every reason it cannot be used.

Checks here need no query: the agency and bargaining-unit codes are looked up in maps read once
per import. Uniqueness (inside the file, against other employees) is the service's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agencies.choices import EmploymentStatus
from agencies.models import Employee

from . import values
from .columns import Column, Header

COLUMNS = (
    Column(
        "employee_number",
        aliases=(
            "employee_id",
            "employee_no",
            "employee_num",
            "emp_no",
            "emp_id",
            "empl_id",
            "emplid",
            "hr_id",
        ),
    ),
    Column("email", aliases=("email_address", "e_mail", "e_mail_address", "work_email", "mail")),
    Column("first_name", aliases=("first", "firstname", "given_name", "fname")),
    Column("last_name", aliases=("last", "lastname", "surname", "family_name", "lname")),
    Column("agency_code", aliases=("agency", "agency_cd", "dept_code", "department_code")),
    Column(
        "bargaining_unit_code",
        required=False,
        aliases=("bargaining_unit", "unit_code", "bu_code", "union_unit", "bargaining_unit_cd"),
    ),
    Column("job_title", required=False, aliases=("title", "position_title", "job")),
    Column(
        "employment_status",
        required=False,
        aliases=("status", "employee_status", "empl_status"),
    ),
    Column(
        "training_completed_on",
        required=False,
        aliases=("training_completed", "training_date", "training_completed_date", "trained_on"),
    ),
    Column(
        "policy_acknowledged_on",
        required=False,
        aliases=(
            "policy_acknowledged",
            "policy_acknowledged_date",
            "policy_ack",
            "policy_ack_date",
            "acknowledged_on",
        ),
    ),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)

# Model fields written by the import, in the order `EXISTING` reads them after the id and number.
FIELDS = (
    "email",
    "first_name",
    "last_name",
    "agency_id",
    "bargaining_unit_id",
    "job_title",
    "employment_status",
    "training_completed_on",
    "policy_acknowledged_on",
)
# Which column feeds which field; a field whose column the file lacks keeps its stored value.
FIELD_COLUMN = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "agency_id": "agency_code",
    "bargaining_unit_id": "bargaining_unit_code",
    "job_title": "job_title",
    "employment_status": "employment_status",
    "training_completed_on": "training_completed_on",
    "policy_acknowledged_on": "policy_acknowledged_on",
}
_MAX = {f.name: f.max_length for f in Employee._meta.concrete_fields if f.max_length}
_STATUSES = {
    **{s.value: s.value for s in EmploymentStatus},
    **{s.label.lower(): s.value for s in EmploymentStatus},
}
_STATUS_HINT = ", ".join(EmploymentStatus.values)


@dataclass(frozen=True)
class Codes:
    """Agency and bargaining-unit ids by upper-cased code (one query each per import)."""

    agencies: dict[str, int]
    inactive_agencies: frozenset[str]
    units: dict[str, int]


@dataclass(slots=True)
class RosterRow:
    line: int
    employee_number: str = ""
    values: dict[str, object] = field(default_factory=dict)
    errors: list[tuple[str | None, str]] = field(default_factory=list)

    @property
    def email(self) -> str:
        return self.values.get("email", "")  # type: ignore[return-value]


def parse_row(line: int, cells: list, header: Header, codes: Codes, *, strict_width: bool):
    """Read one data row; problems are collected in `row.errors`, all of them."""
    row = RosterRow(line=line)
    index = header.index

    def cell(name: str):
        position = index.get(name)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    if strict_width and len(cells) > header.width:
        extra = [c for c in cells[header.width :] if isinstance(c, str) and c.strip()]
        if extra:
            row.errors.append(
                (
                    None,
                    f"the row has {len(cells)} cells but the header has {header.width}: a value "
                    "containing the separator must be in double quotes",
                )
            )

    number = values.text(cell("employee_number"))
    row.employee_number = number
    if not number:
        row.errors.append(("employee_number", "missing required value"))
    elif len(number) > _MAX["employee_number"]:
        row.errors.append(("employee_number", f"longer than {_MAX['employee_number']} characters"))

    try:
        email = values.email(cell("email"))
        if not email:
            row.errors.append(("email", "missing required value"))
        else:
            row.values["email"] = email
    except values.BadValue as exc:
        row.errors.append(("email", str(exc)))

    for name in ("first_name", "last_name", "job_title"):
        if name not in index:
            continue
        value = values.text(cell(name))
        if not value and name != "job_title":
            row.errors.append((name, "missing required value"))
        elif len(value) > _MAX[name]:
            row.errors.append((name, f"longer than {_MAX[name]} characters"))
        else:
            row.values[name] = value

    agency = values.text(cell("agency_code"))
    if not agency:
        row.errors.append(("agency_code", "missing required value"))
    elif agency.upper() not in codes.agencies:
        row.errors.append(("agency_code", f"unknown agency code '{agency}'"))
    else:
        row.values["agency_id"] = codes.agencies[agency.upper()]

    if "bargaining_unit_code" in index:
        unit = values.text(cell("bargaining_unit_code"))
        if not unit:
            row.values["bargaining_unit_id"] = None
        elif unit.upper() not in codes.units:
            row.errors.append(("bargaining_unit_code", f"unknown bargaining unit code '{unit}'"))
        else:
            row.values["bargaining_unit_id"] = codes.units[unit.upper()]

    if "employment_status" in index:
        status = values.text(cell("employment_status"))
        if not status:
            row.errors.append(("employment_status", "missing required value"))
        elif status.lower() not in _STATUSES:
            row.errors.append(
                ("employment_status", f"'{status}' is not an employment status: use {_STATUS_HINT}")
            )
        else:
            row.values["employment_status"] = _STATUSES[status.lower()]

    for name in ("training_completed_on", "policy_acknowledged_on"):
        if name not in index:
            continue
        try:
            row.values[name] = values.date(cell(name))
        except values.BadValue as exc:
            row.errors.append((name, str(exc)))
    return row


def key_fields(cells: list, header: Header) -> tuple[str, str]:
    """Just the employee number and e-mail of a row, read the way `parse_row` reads them (for
    the second pass that locates duplicates)."""
    number = values.text(_at(cells, header.index["employee_number"]))
    try:
        email = values.email(_at(cells, header.index["email"]))
    except values.BadValue:
        email = ""
    return number, email


def _at(cells: list, position: int):
    return cells[position] if position < len(cells) else None


def new_employee_defaults() -> dict[str, object]:
    """Values for the fields a file without their column leaves to the model's defaults."""
    return {
        "bargaining_unit_id": None,
        "job_title": "",
        "employment_status": EmploymentStatus.ACTIVE,
        "training_completed_on": None,
        "policy_acknowledged_on": None,
    }
