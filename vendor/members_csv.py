"""The vendor console's member-list CSV, for vendors that give no SCIM access: read into the same
`Member` rows a SCIM listing gives, so the reconciliation is the same either way.

Column names differ between consoles and exports, so they are options (case-insensitive):
the user name / work email column (default `email`), an optional status column (default
`status`; rows whose status is one of `active_values` are active, the rest — e.g. "Pending
invite", "Deactivated" — are not; without the column every row is active) and an optional
external id / employee number column."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from .reconciliation import Member

MAX_ROWS = 500_000


@dataclass(frozen=True)
class Columns:
    user_name: str = "email"
    status: str = "status"
    external_id: str = ""
    active_values: tuple[str, ...] = ("active",)


class MembersFileError(ValueError):
    """The file cannot be read as a member list; the message says why, for a person."""


def read_members(text: str | Iterable[str], columns: Columns = Columns()) -> list[Member]:
    """Parse a member-list CSV (text, or lines) into members."""
    if isinstance(text, str):
        text = io.StringIO(text.lstrip("\ufeff"))
    reader = csv.DictReader(text)
    if not reader.fieldnames:
        raise MembersFileError("The member list is empty: it has no header row.")
    names = {name.strip().lower(): name for name in reader.fieldnames if name}
    user_name = names.get(columns.user_name.strip().lower())
    if user_name is None:
        raise MembersFileError(
            f"The member list has no '{columns.user_name}' column (it has: "
            f"{', '.join(reader.fieldnames)}); name the email column with --email-column."
        )
    status = names.get(columns.status.strip().lower()) if columns.status else None
    external = names.get(columns.external_id.strip().lower()) if columns.external_id else None
    if columns.external_id and external is None:
        raise MembersFileError(f"The member list has no '{columns.external_id}' column.")
    active_values = {value.strip().lower() for value in columns.active_values}
    members = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS:
            raise MembersFileError(f"The member list has more than {MAX_ROWS:,} rows.")
        name = (row.get(user_name) or "").strip()
        if not name:
            continue
        active = status is None or (row.get(status) or "").strip().lower() in active_values
        members.append(
            Member(
                user_name=name,
                external_id=(row.get(external) or "").strip() if external else "",
                active=active,
            )
        )
    return members
