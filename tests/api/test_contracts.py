"""Contract cost, billing lines and forecast over the API: the cost endpoint answers exactly the
report the engine computes (or today's snapshot), billing lines are marked by finance, and a
forecast returns the curve and its crossings without writing anything."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from config.roles import FINANCE, ROLLOUT_MANAGER
from licensing.forecast import CancelWave, SetQuota, ShiftWave
from licensing.models import CostSnapshot
from licensing.services.cost import contract_cost_report, contract_cost_snapshot, contract_forecast
from rollout.models import Cohort, Wave
from tests.factories import ContractFactory, WaveFactory
from tests.licensing.history import active_seats


@pytest.fixture
def finance(clients):
    return clients[FINANCE]


@pytest.fixture
def history(world):
    """Twelve seats of agency A active from 1 March 2026, three suspended on 20 April."""
    contract = world["contract"]
    active_seats(contract, world["agency_a"], 9, dt.date(2026, 3, 1), cohort=world["cohort_a"])
    active_seats(
        contract,
        world["agency_a"],
        3,
        dt.date(2026, 3, 1),
        cohort=world["cohort_a"],
        until=dt.date(2026, 4, 20),
    )
    return contract


ANSWER_KEYS = {"computed_at", "stale", "inputs_fingerprint", "eligible_employees"}


def test_cost__as_of__exactly_the_engine_report(finance, history):
    # Given a contract with a seat history
    day = dt.date(2026, 4, 30)

    # When its cost as of a day is asked for
    response = finance.get(f"/api/v1/contracts/{history.pk}/cost/?as_of={day}")

    # Then the answer is the engine's report, key for key, computed now (never stale)
    assert response.status_code == 200
    body = response.json()
    assert body["stale"] is False
    assert {k: v for k, v in body.items() if k not in ANSWER_KEYS} == (
        contract_cost_report(contract=history, as_of=day).as_json()
    )
    assert body["as_of"] == "2026-04-30"


def test_cost__no_as_of_and_todays_snapshot__served_from_snapshot(finance, history):
    # Given a snapshot for today (its report marked, to tell it from a computation)
    snapshot = contract_cost_snapshot(contract=history)
    CostSnapshot.objects.filter(pk=snapshot.pk).update(
        report={**snapshot.report, "spend_to_date": "1.23"}
    )

    # When the cost is asked for without a day
    body = finance.get(f"/api/v1/contracts/{history.pk}/cost/").json()

    # Then the snapshot answers
    assert body["spend_to_date"] == "1.23"


def test_cost__no_as_of_and_only_old_snapshot__computed(finance, history):
    # Given only a snapshot of an earlier day
    snapshot = contract_cost_snapshot(contract=history, as_of=dt.date(2026, 3, 15))
    assert snapshot.as_of != timezone.localdate()

    # When the cost is asked for without a day
    body = finance.get(f"/api/v1/contracts/{history.pk}/cost/").json()

    # Then today's report is computed (and stored: no broker here), current
    assert {k: v for k, v in body.items() if k not in ANSWER_KEYS} == (
        contract_cost_report(contract=history).as_json()
    )
    assert body["stale"] is False
    assert CostSnapshot.objects.filter(contract=history).latest().as_of == timezone.localdate()


def test_cost__unknown_contract__404(finance, world):
    # When a contract that does not exist is asked for
    # Then it is not found
    assert finance.get("/api/v1/contracts/999999/cost/").status_code == 404


def test_periods__lines__listed_in_order(finance, world):
    # Given one closed billing line
    line = world["line"]

    # When the periods are listed
    body = finance.get(f"/api/v1/contracts/{world['contract'].pk}/periods/").json()

    # Then the line is there, first, with its money as strings and its explanation; the other
    # periods over by today follow in order (every recompute writes them)
    assert body[0] == {
        "id": line.pk,
        "contract": world["contract"].pk,
        "start": "2026-02-13",
        "end": "2026-03-12",
        "billable_persons": 0,
        "charged_seats": 10_000,
        "unit_price": "13.00",
        "amount": "130000.00",
        "unallocated_amount": "130000.00",
        "explanation": "0 billable persons, charged at the 10,000-seat minimum.",
        "status": "accrued",
        "status_changed_by": None,
        "status_changed_at": None,
    }
    assert [row["start"] for row in body] == sorted(row["start"] for row in body)


def test_mark__finance_marks_invoiced_then_paid__recorded_with_who(finance, world):
    # Given an accrued line
    url = f"/api/v1/contracts/{world['contract'].pk}/periods/{world['line'].pk}/mark/"

    # When finance marks it invoiced, then paid
    invoiced = finance.post(url, {"status": "invoiced"})
    paid = finance.post(url, {"status": "paid"})

    # Then each step is recorded with who did it
    assert invoiced.status_code == paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["status_changed_by"] == "finance"


def test_mark__backwards__409_invalid_transition(finance, world):
    # Given a paid line
    url = f"/api/v1/contracts/{world['contract'].pk}/periods/{world['line'].pk}/mark/"
    finance.post(url, {"status": "paid"})

    # When it is marked accrued again
    response = finance.post(url, {"status": "accrued"})

    # Then the service refuses
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_mark__line_of_another_contract__404(finance, world):
    # Given another contract
    other = ContractFactory()

    # When the world's line is marked through it
    url = f"/api/v1/contracts/{other.pk}/periods/{world['line'].pk}/mark/"

    # Then there is no such line under that contract
    assert finance.post(url, {"status": "invoiced"}).status_code == 404


def test_mark__unknown_status__400(finance, world):
    url = f"/api/v1/contracts/{world['contract'].pk}/periods/{world['line'].pk}/mark/"
    response = finance.post(url, {"status": "forgiven"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]


def test_undo_paid__same_day_with_reason__back_to_invoiced(finance, world):
    # Given a line marked invoiced, then paid by mistake
    base = f"/api/v1/contracts/{world['contract'].pk}/periods/{world['line'].pk}"
    finance.post(f"{base}/mark/", {"status": "invoiced"})
    finance.post(f"{base}/mark/", {"status": "paid"})

    # When finance undoes the payment mark with a reason
    response = finance.post(f"{base}/undo-paid/", {"reason": "Paid the wrong period"})

    # Then the line is invoiced again, and a second undo has nothing to take back
    assert response.status_code == 200
    assert response.json()["status"] == "invoiced"
    again = finance.post(f"{base}/undo-paid/", {"reason": "again"})
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_undo_paid__no_reason__400(finance, world):
    base = f"/api/v1/contracts/{world['contract'].pk}/periods/{world['line'].pk}"
    finance.post(f"{base}/mark/", {"status": "paid"})
    response = finance.post(f"{base}/undo-paid/", {})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["reason"]


# --- forecast ------------------------------------------------------------------------------------


def _forecast(client, contract, body):
    return client.post(f"/api/v1/contracts/{contract.pk}/forecast/", body)


def test_forecast__changes__equal_the_engine_forecast_with_crossings(finance, history, world):
    # Given a plan change of every kind
    second = WaveFactory(
        contract=history,
        number=2,
        planned_start=dt.date(2026, 6, 1),
        planned_end=dt.date(2026, 7, 31),
    )
    extra = Cohort.objects.create(
        wave=second,
        agency=world["agency_b"],
        seat_quota=25_000,
        onboarding_date=dt.date(2026, 6, 1),
    )
    body = {
        "as_of": "2026-05-01",
        "changes": [
            {"type": "shift_wave", "wave": second.pk, "days": 45},
            {"type": "set_quota", "cohort": extra.pk, "seat_quota": 35_000},
            {"type": "cancel_wave", "wave": world["wave"].pk},
        ],
    }

    # When the forecast is asked for
    response = _forecast(finance, history, body)

    # Then it is the engine's forecast under those changes, with the crossing dates
    expected = contract_forecast(
        contract=history,
        as_of=dt.date(2026, 5, 1),
        changes=[
            ShiftWave(second.pk, 45),
            SetQuota(extra.pk, 35_000),
            CancelWave(world["wave"].pk),
        ],
    )
    assert response.status_code == 200
    assert response.json() == {**expected.as_json(), "crossings": expected.crossings_json()}
    assert set(response.json()["crossings"]) == {"floor", "ceiling"}


def test_forecast__writes_nothing(clients, history, world):
    # Given the plan as stored
    before = (
        list(Cohort.objects.values_list("id", "seat_quota", "onboarding_date")),
        list(Wave.objects.values_list("id", "status")),
        CostSnapshot.objects.count(),
    )

    # When a forecast changes every part of it
    response = _forecast(
        clients[ROLLOUT_MANAGER],
        history,
        {
            "changes": [
                {"type": "shift_wave", "wave": world["wave"].pk, "days": -10},
                {"type": "set_quota", "cohort": world["cohort_a"].pk, "seat_quota": 0},
                {"type": "cancel_wave", "wave": world["wave"].pk},
            ]
        },
    )

    # Then nothing stored has moved
    assert response.status_code == 200
    after = (
        list(Cohort.objects.values_list("id", "seat_quota", "onboarding_date")),
        list(Wave.objects.values_list("id", "status")),
        CostSnapshot.objects.count(),
    )
    assert after == before


def test_forecast__no_changes__the_plain_report(finance, history):
    # When a forecast without changes is asked for
    body = _forecast(finance, history, {}).json()

    # Then it is today's report plus the crossings
    assert body == {
        **contract_cost_report(contract=history).as_json(),
        "crossings": contract_cost_report(contract=history).crossings_json(),
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "shift_wave", "wave": 999999, "days": 3}, "changes.0.wave"),
        ({"type": "cancel_wave", "wave": "other"}, "changes.0.wave"),
        ({"type": "set_quota", "cohort": 999999, "seat_quota": 3}, "changes.0.cohort"),
        ({"type": "set_quota", "cohort": "mine", "seat_quota": -1}, "changes.0.seat_quota"),
        ({"type": "shift_wave", "wave": "mine", "days": 10**12}, "changes.0.days"),
        ({"type": "shift_wave", "wave": "mine"}, "changes.0.days"),
        ({"type": "grow_wave", "wave": "mine"}, "changes.0.type"),
        ({"wave": "mine"}, "changes.0.type"),
        ("cancel everything", "changes.0"),
    ],
)
def test_forecast__bad_change__400_naming_the_field(finance, world, change, field):
    # Given a change with an unknown id (or one of another contract), or a bad value
    other_wave = WaveFactory(contract=ContractFactory(), number=1)
    if isinstance(change, dict):
        change = {
            k: (
                other_wave.pk
                if v == "other"
                else world["wave"].pk
                if v == "mine" and k == "wave"
                else world["cohort_a"].pk
                if v == "mine"
                else v
            )
            for k, v in change.items()
        }

    # When the forecast is asked for
    response = _forecast(finance, world["contract"], {"changes": [change]})

    # Then the offending field is named by its path
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()


def test_forecast__too_many_changes__400(finance, world):
    change = {"type": "cancel_wave", "wave": world["wave"].pk}
    response = _forecast(finance, world["contract"], {"changes": [change] * 101})
    assert response.status_code == 400
    assert "changes" in response.json()["fields"]
