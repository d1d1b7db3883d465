"""The roster import against messy files: encodings, headers, bad rows, duplicates, blank lines,
formula-looking names, XLSX, the dry run and the side effects on seats. A rejected file never
writes anything."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.imports import roster_import
from agencies.models import Employee
from core.models import Job
from licensing.models import Seat, SeatEvent
from licensing.services.seats import seat_request
from tests.factories import ContractFactory, EmployeeFactory, UserFactory
from tests.imports.conftest import HEADER, roster, xlsx

pytestmark = pytest.mark.django_db


def run(data, name="roster.csv", **kwargs):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return roster_import(file=data, filename=name, **kwargs)


def table_counts() -> dict[str, int]:
    return {
        "employees": Employee.objects.count(),
        "history": Employee.history.count(),
        "seats": Seat.objects.count(),
        "events": SeatEvent.objects.count(),
    }


def errors_of(report) -> list[tuple]:
    return [(e.line, e.column) for e in report.errors]


# --- encodings and layout ------------------------------------------------------------------------


def test_roster__utf8_with_bom__imported_and_header_recognised(codes):
    text = roster("E1,ann@x.org,Zoë,Ñúñez,AGA,,Clerk,active,,")
    report = run(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert not report.rejected, report.errors
    employee = Employee.objects.get(employee_number="E1")
    assert (employee.first_name, employee.last_name) == ("Zoë", "Ñúñez")


def test_roster__windows_1252__accents_decoded(codes):
    # Given a file saved by Excel on US Windows: "Zoë" and "Ñúñez" in Windows-1252 bytes
    text = roster("E1,zoe@x.org,Zoë,Ñúñez,AGA,,Café manager,active,,")
    raw = text.encode("cp1252")
    assert b"\xeb" in raw  # ë as one byte: not UTF-8
    # When it is imported
    report = run(raw)
    # Then the names are stored as they read
    assert not report.rejected, report.errors
    employee = Employee.objects.get(employee_number="E1")
    assert (employee.first_name, employee.last_name, employee.job_title) == (
        "Zoë",
        "Ñúñez",
        "Café manager",
    )


def test_roster__semicolons_and_messy_header__read(codes):
    header = " Employee ID ;E-mail;First Name;LAST_NAME ; Agency ;Title;Status;Notes"
    text = "\r\n".join([header, "E1 ; ANN@X.ORG ;Ann ;Lee;aga;Clerk ;Active;hello"]) + "\r\n"
    report = run(text)
    assert not report.rejected, report.errors
    assert any("Notes" in w for w in report.warnings)
    employee = Employee.objects.get(employee_number="E1")
    assert (employee.email, employee.first_name, employee.job_title, employee.agency.code) == (
        "ann@x.org",
        "Ann",
        "Clerk",
        "AGA",
    )


def test_roster__trailing_spaces__trimmed(codes):
    report = run(
        roster("  E1  ,ann@x.org   ,Ann   ,  Lee ,AGA ,NAGE1 , Clerk ,active , 2026-01-15 ,")
    )
    assert not report.rejected, report.errors
    employee = Employee.objects.get(employee_number="E1")
    assert (employee.first_name, employee.last_name, employee.job_title) == ("Ann", "Lee", "Clerk")
    assert employee.bargaining_unit.code == "NAGE1"
    assert employee.training_completed_on == dt.date(2026, 1, 15)


def test_roster__blank_lines__skipped_and_line_numbers_kept(codes):
    text = "\r\n".join(
        [
            HEADER,
            "",
            "E1,ann@x.org,Ann,Lee,AGA,,,active,,",
            " , , ",
            "",
            "E2,bob@x.org,Bob,Ray,NOPE,,,active,,",
        ]
    )
    report = run(text)
    assert report.rows == 2
    assert errors_of(report) == [(6, "agency_code")]


def test_roster__formula_looking_names__stored_as_data(codes):
    report = run(
        roster(
            'E1,ann@x.org,"=HYPERLINK(""http://evil"")",+Lee,AGA,,@SUM(A1),active,,',
            "E2,bob@x.org,-Bob,=1+1,AGA,,,active,,",
        )
    )
    assert not report.rejected, report.errors
    ann = Employee.objects.get(employee_number="E1")
    assert (ann.first_name, ann.last_name, ann.job_title) == (
        '=HYPERLINK("http://evil")',
        "+Lee",
        "@SUM(A1)",
    )
    assert Employee.objects.get(employee_number="E2").last_name == "=1+1"


def test_roster__xlsx_with_date_cells_and_numeric_ids__imported(codes):
    data = xlsx(
        [
            [
                "Employee Number",
                "Email",
                "First Name",
                "Last Name",
                "Agency Code",
                "Training Completed On",
            ],
            [1001, "Ann@X.org", "Zoë", "Lee", "AGA", dt.datetime(2026, 1, 15)],
            [None, None, None, None, None, None],
            [1002.0, "bob@x.org", "Bob", "Ray", "AGB", "01/16/2026"],
        ]
    )
    report = run(data, "roster.xlsx")
    assert not report.rejected, report.errors
    assert report.new == 2
    ann = Employee.objects.get(employee_number="1001")
    assert (ann.email, ann.first_name, ann.training_completed_on) == (
        "ann@x.org",
        "Zoë",
        dt.date(2026, 1, 15),
    )
    assert Employee.objects.get(employee_number="1002").training_completed_on == dt.date(
        2026, 1, 16
    )


def test_roster__xlsx_bad_row__line_is_the_sheet_row(codes):
    data = xlsx(
        [
            ["employee_number", "email", "first_name", "last_name", "agency_code"],
            ["E1", "ann@x.org", "Ann", "Lee", "AGA"],
            [None] * 5,
            ["E2", "bob@x.org", "Bob", "Ray", "ZZZ"],
        ]
    )
    report = run(data, "roster.xlsx")
    assert errors_of(report) == [(4, "agency_code")]


def test_roster__two_rows__created_with_history(codes):
    user = UserFactory(username="hr-clerk")
    report = run(
        roster(
            "E1,Ann@X.org,Ann,Lee,AGA,NAGE1,Clerk,active,2026-01-15,01/16/2026",
            "E2,bob@x.org,Bob,Ray,AGB,,Analyst,leave,,",
        ),
        actor=user,
    )
    assert (report.new, report.updated, report.unchanged, report.invalid) == (2, 0, 0, 0)
    ann = Employee.objects.get(employee_number="E1")
    assert ann.email == "ann@x.org"
    assert ann.policy_acknowledged_on == dt.date(2026, 1, 16)
    history = ann.history.get()
    assert history.history_type == "+"
    assert history.history_user == user
    assert history.history_change_reason == f"roster import roster.csv (job #{report.job_id})"
    job = Job.objects.get(pk=report.job_id)
    assert (job.kind, job.status, job.requested_by, job.done) == (
        "roster_import",
        "succeeded",
        user,
        2,
    )


# --- row errors ----------------------------------------------------------------------------------


def test_roster__every_bad_row__listed_with_line_column_reason(codes):
    report = run(
        roster(
            "E1,ann@x.org,Ann,Lee,AGA,,,active,2026-02-30,",
            "E2,bob@x.org,Bob,Ray,NOPE,,,active,,",
            "E3,not-an-email,Cy,Ray,AGA,,,retired,13/45/2026,",
            "E4,dee@x.org,,Ray,AGA,ZZ9,,active,,1/2/26",
            ",eve@x.org,Eve,Ray,AGA,,,,,",
        )
    )
    assert report.rejected
    assert errors_of(report) == [
        (2, "training_completed_on"),
        (3, "agency_code"),
        (4, "email"),
        (4, "employment_status"),
        (4, "training_completed_on"),
        (5, "first_name"),
        (5, "bargaining_unit_code"),
        (5, "policy_acknowledged_on"),
        (6, "employee_number"),
        (6, "employment_status"),
    ]
    reasons = {(e.line, e.column): e.reason for e in report.errors}
    assert "unknown agency code 'NOPE'" in reasons[(3, "agency_code")]
    assert "'2026-02-30' is not a real date" in reasons[(2, "training_completed_on")]
    assert "'13/45/2026'" in reasons[(4, "training_completed_on")]
    assert "two-digit year" in reasons[(5, "policy_acknowledged_on")]
    assert "'retired' is not an employment status" in reasons[(4, "employment_status")]
    assert reasons[(5, "first_name")] == "missing required value"
    assert report.invalid == 5
    assert Employee.objects.count() == 0


def test_roster__duplicates_inside_file__both_keys_reported_with_first_line(codes):
    report = run(
        roster(
            "E1,ann@x.org,Ann,Lee,AGA,,,active,,",
            "E2,ANN@x.org,Ann,Twin,AGA,,,active,,",
            "E1,other@x.org,Ann,Again,AGA,,,active,,",
            "E3,cy@x.org,Cy,Ray,AGA,,,active,,",
        )
    )
    assert errors_of(report) == [(3, "email"), (4, "employee_number")]
    reasons = [e.reason for e in report.errors]
    assert reasons[0] == "duplicate e-mail 'ann@x.org' in the file: also on line 2"
    assert reasons[1] == "duplicate employee number 'E1' in the file: also on line 2"
    assert (report.new, report.invalid) == (2, 2)
    assert Employee.objects.count() == 0


def test_roster__invalid_row_then_valid_repeat__counted_once_as_invalid(codes):
    # Given a row refused for its agency, then the corrected row under the same number and e-mail
    report = run(
        roster("E1,ann@x.org,Ann,Lee,ZZZ,,,active,,", "E1,ann@x.org,Ann,Lee,AGA,,,active,,")
    )

    # Then both lines are invalid (the second repeats both keys of the first), and no count
    # goes below zero: the repeat was counted new once, so it is taken off once
    assert errors_of(report) == [(2, "agency_code"), (3, "employee_number"), (3, "email")]
    assert (report.new, report.invalid) == (0, 2)
    assert Employee.objects.count() == 0


def test_roster__duplicates_far_apart__found_across_chunks(codes):
    lines = [f"E{i},p{i}@x.org,P,{i},AGA,,,active,," for i in range(2500)]
    lines.append("E7,again@x.org,P,Again,AGA,,,active,,")
    lines.append("E9999,p1200@x.org,P,Clash,AGA,,,active,,")
    report = run(roster(*lines))
    assert errors_of(report) == [(2502, "employee_number"), (2503, "email")]
    assert "also on line 9" in report.errors[0].reason
    assert "also on line 1202" in report.errors[1].reason
    assert Employee.objects.count() == 0


def test_roster__email_of_another_existing_employee__refused(codes):
    EmployeeFactory(employee_number="OLD1", email="taken@x.org", first_name="Tia", last_name="Ken")
    report = run(roster("E1,Taken@X.org,Ann,Lee,AGA,,,active,,"))
    assert errors_of(report) == [(2, "email")]
    assert "belongs to another employee, OLD1 (Tia Ken)" in report.errors[0].reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf", "The file is empty."),
        (b"\r\n  \r\n", "The file is empty."),
        (b"employee_number,email,first_name\r\nE1,a@x.org,Ann\r\n", "Missing required columns"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old-style Excel"),
        (b"PK\x03\x04not really a workbook", "not a readable XLSX"),
        (
            roster("E1,a@x.org,Ann,Lee,AGA,,,active,,").replace("email", "Email,E-mail").encode(),
            "appears twice",
        ),
    ],
)
def test_roster__unreadable_file__rejected_whole(codes, content, reason):
    report = run(content)
    assert report.rejected
    assert len(report.errors) == 1
    assert reason in report.errors[0].reason


def test_roster__missing_columns__names_them(codes):
    report = run(b"Employee Number,First Name\r\nE1,Ann\r\n")
    assert report.errors[0].line == 1
    assert "email, last_name, agency_code" in report.errors[0].reason


def test_roster__header_only__accepted_with_warning(codes):
    report = run(HEADER + "\r\n")
    assert not report.rejected
    assert report.rows == 0
    assert any("no employee rows" in w for w in report.warnings)


def test_roster__optional_columns_absent__existing_values_kept(codes):
    employee = EmployeeFactory(
        employee_number="E1", email="ann@x.org", agency=codes["AGA"], job_title="Clerk"
    )
    report = run(
        "employee_number,email,first_name,last_name,agency_code\r\n"
        f"E1,ann@x.org,{employee.first_name},Newname,AGA\r\n"
    )
    assert (report.updated, report.rejected) == (1, False)
    employee.refresh_from_db()
    assert (employee.last_name, employee.job_title) == ("Newname", "Clerk")
    assert employee.training_completed_on == dt.date(2026, 1, 15)
    assert any("existing employees keep their values" in w for w in report.warnings)


# --- nothing written by a rejected file ----------------------------------------------------------


BAD_FILES = {
    "bad date": roster("E1,ann@x.org,Ann,Lee,AGA,,,active,2026-13-01,"),
    "unknown agency": roster("E1,ann@x.org,Ann,Lee,XXX,,,active,,"),
    "duplicate number": roster("E1,a@x.org,A,L,AGA,,,active,,", "E1,b@x.org,B,L,AGA,,,active,,"),
    "last row bad": roster(
        *[f"N{i},n{i}@x.org,N,{i},AGA,,,separated,," for i in range(1500)],
        "N9,z@x.org,Z,Z,AGA,,,active,31/12/2026,",
    ),
    "missing column": "employee_number,email\r\nE1,a@x.org\r\n",
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_roster__rejected_file__writes_nothing(codes, name):
    # Given employees with seats, one of whom a bad file would separate
    contract = ContractFactory()
    people = [EmployeeFactory(employee_number=f"N{i}", agency=codes["AGA"]) for i in range(3)]
    for person in people:
        seat_request(employee=person, contract=contract)
    before = table_counts()
    snapshot = list(Employee.objects.order_by("pk").values())
    # When the bad file is imported (and dry-run)
    for dry_run in (False, True):
        report = run(BAD_FILES[name], dry_run=dry_run)
        assert report.rejected and not report.written
    # Then every table is as it was, history and seat events included
    assert table_counts() == before
    assert list(Employee.objects.order_by("pk").values()) == snapshot
    assert Job.objects.filter(kind="roster_import", status="failed").count() == 2


# --- dry run, updates, side effects --------------------------------------------------------------


def test_roster__dry_run__counts_and_writes_nothing(codes):
    EmployeeFactory(
        employee_number="E1",
        email="ann@x.org",
        first_name="Ann",
        last_name="Lee",
        agency=codes["AGA"],
        job_title="Clerk",
        employment_status="active",
        training_completed_on=None,
        policy_acknowledged_on=None,
    )
    EmployeeFactory(employee_number="E2", email="bob@x.org", agency=codes["AGA"])
    before = table_counts()
    text = roster(
        "E1,ann@x.org,Ann,Lee,AGA,,Clerk,active,,",
        "E2,bob@x.org,Bob,Ray,AGB,,Analyst,leave,,",
        "E3,cy@x.org,Cy,Ray,AGA,,,active,,",
        "E4,dee@x.org,Dee,Ray,AGA,,,active,,",
    )
    report = run(text, dry_run=True)
    assert (report.new, report.updated, report.unchanged, report.invalid) == (2, 1, 1, 0)
    assert report.agency_changed == 1
    assert not report.written and report.dry_run
    assert table_counts() == before
    job = Job.objects.get(pk=report.job_id)
    assert job.dry_run and job.status == "succeeded"
    assert job.outcome["new"] == 2
    # The real run does what the dry run said
    real = run(text)
    assert (real.new, real.updated, real.unchanged) == (2, 1, 1)
    assert Employee.objects.count() == 4


def test_roster__separated__open_seats_revoked_with_event_naming_the_job(codes):
    # Given an employee with an open seat and another whose agency will change
    contract = ContractFactory()
    leaving = EmployeeFactory(employee_number="E1", email="ann@x.org", agency=codes["AGA"])
    moving = EmployeeFactory(employee_number="E2", email="bob@x.org", agency=codes["AGA"])
    seat = seat_request(employee=leaving, contract=contract)
    kept = seat_request(employee=moving, contract=contract)
    manager = UserFactory(username="hr")
    # When the roster says the first has separated and the second moved to AGB
    report = run(
        roster(
            f"E1,ann@x.org,{leaving.first_name},{leaving.last_name},AGA,,Program Coordinator,"
            "separated,2026-01-15,2026-01-15",
            f"E2,bob@x.org,{moving.first_name},{moving.last_name},AGB,,Program Coordinator,"
            "active,2026-01-15,2026-01-15",
        ),
        actor=manager,
    )
    # Then the seat is revoked through the services, the event naming the import's job
    assert not report.rejected, report.errors
    assert (report.newly_separated, report.seats_revoked, report.agency_changed) == (1, 1, 1)
    seat.refresh_from_db()
    assert seat.status == "revoked"
    event = seat.events.order_by("-at").first()
    assert (event.to_status, event.job_id, event.actor) == ("revoked", report.job_id, manager)
    assert "roster import roster.csv" in event.reason
    # And the mover keeps the seat, charged to the agency that requested it, with its history
    kept.refresh_from_db()
    assert (kept.status, kept.agency.code) == ("requested", "AGA")
    assert kept.events.count() == 1
    moving.refresh_from_db()
    assert moving.agency.code == "AGB"
    assert moving.history.count() == 2  # created by the factory, changed by the import


def test_roster__dry_run_separation__counted_not_revoked(codes):
    contract = ContractFactory()
    leaving = EmployeeFactory(employee_number="E1", email="ann@x.org", agency=codes["AGA"])
    seat = seat_request(employee=leaving, contract=contract)
    report = run(
        roster(f"E1,ann@x.org,{leaving.first_name},{leaving.last_name},AGA,,,separated,,"),
        dry_run=True,
    )
    assert report.seats_revoked == 1
    seat.refresh_from_db()
    assert seat.status == "requested"
    assert SeatEvent.objects.filter(to_status="revoked").count() == 0


def test_roster__reimport__changes_nothing(codes):
    text = roster(
        *[f"E{i},p{i}@x.org,P,{i},AGA,NAGE1,Clerk,active,2026-01-15,01/15/2026" for i in range(30)]
    )
    first = run(text)
    history = Employee.history.count()
    again = run(text)
    assert (first.new, again.unchanged, again.updated, again.new) == (30, 30, 0, 0)
    assert Employee.history.count() == history


def test_roster__agencies_and_units__one_query_each(codes, django_assert_max_num_queries):
    text = roster(
        *[f"E{i},p{i}@x.org,P,{i},{'AGA' if i % 2 else 'agb'},NAGE1,,active,," for i in range(50)]
    )
    with CaptureQueriesContext(connection) as ctx:
        run(text)
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "agencies_agency"' in s for s in sqls) == 1
    assert sum('FROM "agencies_bargainingunit"' in s for s in sqls) == 1


@pytest.mark.parametrize("rows", [1, 2500])
def test_roster__statements__within_budget(codes, rows):
    # c + 3·⌈N/1000⌉ for a file mixing new and changed employees; c counts the cohort gates
    # judged before and after (one query each with no open cohort) and the job's events
    for i in range(0, rows, 2):
        EmployeeFactory(employee_number=f"E{i}", email=f"p{i}@x.org", agency=codes["AGA"])
    text = roster(*[f"E{i},p{i}@x.org,P,{i},AGB,,,active,," for i in range(rows)])
    with CaptureQueriesContext(connection) as ctx:
        report = run(text)
    assert not report.rejected, report.errors[:3]
    statements = [q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 11 + 3 * math.ceil(rows / 1000), [q["sql"][:80] for q in statements]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_roster__progress__visible_to_others_while_the_import_runs(codes):
    # Given a roster of several chunks, and a second connection watching the job row
    from django.db import DEFAULT_DB_ALIAS, connections

    watcher = connections.create_connection(DEFAULT_DB_ALIAS)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        if done < total and not seen:
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT done, total FROM rollout_job WHERE kind = 'roster_import' "
                    "ORDER BY id DESC LIMIT 1"
                )
                seen.append(cursor.fetchone())

    text = roster(*[f"E{i},p{i}@x.org,P,{i},AGA,,,active,," for i in range(3000)])
    try:
        # When it is imported (its own transaction still open at the first chunk)
        report = run(text, progress=progress)
    finally:
        watcher.close()
    # Then the other connection saw the job's progress before the import committed
    assert not report.rejected
    assert seen and seen[0][0] == 1000 and seen[0][1] >= 2999


def test_roster__title_rows_above_header__skipped_with_warning(codes):
    text = "Roster as of 1/15/2026,,,\r\n\r\nExported by HR,,\r\n" + roster(
        "E1,ann@x.org,Ann,Lee,AGA,,,active,,", "E2,bob@x.org,Bob,Ray,NOPE,,,active,,"
    )
    report = run(text)
    assert errors_of(report) == [(6, "agency_code")]
    assert any("above the header, which is on line 4" in w for w in report.warnings)
