"""The vendor console's member-list CSV, read into members: configurable columns, statuses, and
a clear refusal when a column is missing."""

from __future__ import annotations

import pytest

from vendor.members_csv import Columns, MembersFileError, read_members
from vendor.reconciliation import Member


def test_read_members__default_columns__active_by_status():
    text = (
        "\ufeffName,Email,Role,Status\n"
        "Ana,ana@mass.gov,member,Active\n"
        "Bo,bo@mass.gov,member,Pending invite\n"
        ",,,\n"
    )

    assert read_members(text) == [
        Member("ana@mass.gov", "", True),
        Member("bo@mass.gov", "", False),
    ]


def test_read_members__configured_columns__read_by_their_names():
    text = "User,Employee ID,State\nana@mass.gov,E1,enabled\nbo@mass.gov,E2,disabled\n"
    columns = Columns(
        user_name="user", status="state", external_id="Employee ID", active_values=("enabled",)
    )

    assert read_members(text, columns) == [
        Member("ana@mass.gov", "E1", True),
        Member("bo@mass.gov", "E2", False),
    ]


def test_read_members__no_status_column__every_row_active():
    assert read_members("email\nana@mass.gov\n", Columns(status="")) == [
        Member("ana@mass.gov", "", True)
    ]


@pytest.mark.parametrize(
    ("text", "columns", "words"),
    [
        ("", Columns(), "no header"),
        ("name\nAna\n", Columns(), "no 'email' column"),
        ("email\nana@mass.gov\n", Columns(external_id="emp"), "no 'emp' column"),
    ],
)
def test_read_members__unusable_file__refused_saying_why(text, columns, words):
    with pytest.raises(MembersFileError, match=words):
        read_members(text, columns)
