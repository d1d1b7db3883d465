"""`import_roster` and `import_usage`: the report on stdout, the progress bar on stderr, exit
status 0 for an imported file and 1 for a rejected one."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import Employee
from licensing.models import UsageDay
from licensing.services.seats import seat_request
from tests.factories import ContractFactory, EmployeeFactory
from tests.imports.conftest import roster

pytestmark = pytest.mark.django_db


def command(name: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_import_roster__good_file__exit_0_report_on_stdout(codes, tmp_path, capsys):
    path = tmp_path / "roster.csv"
    path.write_text(roster("E1,ann@x.org,Ann,Lee,AGA,,,active,,"), encoding="utf-8")
    code, out, _ = command("import_roster", str(path))
    assert code == 0
    assert "Imported roster.csv" in out and "new:           1" in out
    assert "rows" in capsys.readouterr().err  # tqdm's bar
    assert Employee.objects.count() == 1


def test_import_roster__rejected_file__exit_1_errors_listed(codes, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(roster("E1,ann@x.org,Ann,Lee,NOPE,,,active,,"), encoding="utf-8")
    code, out, _ = command("import_roster", str(path), "--no-progress")
    assert code == 1
    assert "Rejected: roster.csv" in out
    assert "line 2, agency_code: unknown agency code 'NOPE'" in out
    assert Employee.objects.count() == 0


def test_import_roster__dry_run__exit_0_nothing_written(codes, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(roster("E1,ann@x.org,Ann,Lee,AGA,,,active,,"), encoding="utf-8")
    code, out, _ = command("import_roster", str(path), "--dry-run", "--no-progress")
    assert code == 0 and "Dry run" in out
    assert Employee.objects.count() == 0


def test_import_roster__no_such_file__command_error(db):
    with pytest.raises(CommandError):
        call_command("import_roster", "/nonexistent/roster.csv")


def test_import_usage__file__exit_0_and_unknown_listed(tmp_path):
    contract = ContractFactory()
    employee = EmployeeFactory(email="ann@x.org")
    seat_request(employee=employee, contract=contract)
    path = tmp_path / "usage.csv"
    path.write_text(
        "email,date,messages\r\nann@x.org,2026-03-02,4\r\nghost@x.org,2026-03-02,1\r\n",
        encoding="utf-8",
    )
    code, out, _ = command("import_usage", str(path), "--no-progress")
    assert code == 0
    assert "usage days new:     1" in out and "ghost@x.org" in out
    assert UsageDay.objects.get().date == dt.date(2026, 3, 2)


def test_import_usage__bad_row__exit_1(tmp_path):
    ContractFactory()
    path = tmp_path / "usage.csv"
    path.write_text("email,date,messages\r\nann@x.org,yesterday,4\r\n", encoding="utf-8")
    code, out, _ = command("import_usage", str(path), "--no-progress")
    assert code == 1 and "line 2, date" in out
