"""The Django admin: every model's pages answer, the read-only records stay read-only, the big
changelists run a constant number of queries, and the roster imports and exports through
django-import-export."""

import datetime as dt
from decimal import Decimal

import factory
import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from import_export.formats import base_formats
from import_export.tmp_storages import TempFolderStorage

from agencies.models import Agency, BargainingUnit, CoordinatorAgency, Employee, UserAPIKey
from core.models import Job
from licensing.models import BillingPeriod, Contract, CostSnapshot, Seat, SeatEvent, UsageDay
from rollout.models import Cohort, ReadinessCheck, Wave, WaveEvent
from rollout.services import wave_cancel
from tests.factories import (
    AgencyFactory,
    BargainingUnitFactory,
    CohortFactory,
    ContractFactory,
    EmployeeFactory,
    ReadinessCheckFactory,
    SeatEventFactory,
    SeatFactory,
    WaveFactory,
)
from tests.rollout.builders import manager

pytestmark = pytest.mark.django_db


# --- factories for the rows tests/factories.py does not cover yet ------------------------------


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    kind = "cohort_activation"
    status = "running"
    subject = "Wave 1 cohort activation"
    done = 37
    total = 100


class UsageDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageDay

    seat = factory.SubFactory(SeatFactory)
    date = dt.date(2026, 2, 20)
    messages = 12


class BillingPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingPeriod

    contract = factory.SubFactory(ContractFactory)
    start = dt.date(2026, 2, 13)
    end = dt.date(2026, 3, 12)
    billable_persons = 10_000
    charged_seats = 10_000
    unit_price = Decimal("13.0000")
    amount = Decimal("130000.00")


class CostSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostSnapshot

    contract = factory.SubFactory(ContractFactory)
    as_of = dt.date(2026, 2, 20)
    active_seats = 1
    billable_seats_this_month = 1
    spend_to_date = Decimal("130000.00")
    projected_total = Decimal("1560000.00")
    committed_total = Decimal("1560000.00")
    headroom_seats = 29_999
    below_floor = True


# --- helpers -----------------------------------------------------------------------------------


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _format_index(formats, format_class):
    return str(next(i for i, f in enumerate(formats) if issubclass(f, format_class)))


def _employee_admin():
    return admin.site._registry[Employee]


def _upload(client, model, csv_text):
    """POST a CSV to a model's import page: the dry run that precedes the confirm step."""
    upload = SimpleUploadedFile("upload.csv", csv_text.encode(), content_type="text/csv")
    fmt = _format_index(admin.site._registry[model].get_import_formats(), base_formats.CSV)
    return client.post(
        _url(model, "import"), {"resource": "0", "format": fmt, "import_file": upload}
    )


def _confirm(client, model, response):
    confirm_form = response.context["confirm_form"]
    data = {name: confirm_form.initial[name] for name in confirm_form.fields}
    return client.post(_url(model, "process_import"), data)


def _upload_roster(client, csv_text):
    return _upload(client, Employee, csv_text)


def _confirm_import(client, response):
    return _confirm(client, Employee, response)


ROSTER_HEADER = (
    "employee_number,email,first_name,last_name,agency,bargaining_unit,job_title,"
    "employment_status,training_completed_on,policy_acknowledged_on"
)


@pytest.fixture
def one_of_each(admin_user):
    """At least one row of every model, linked the way the domain links them."""
    parent = AgencyFactory(code="EOTSS-SEC", name="Secretariat")
    agency = AgencyFactory(code="EOTSS", parent=parent)
    unit = BargainingUnitFactory(code="NAGE-1")
    employee = EmployeeFactory(agency=agency, bargaining_unit=unit)
    contract = ContractFactory()
    wave = WaveFactory(contract=contract, approved_by=admin_user, approved_at=timezone.now())
    cohort = CohortFactory(wave=wave, agency=agency)
    check = ReadinessCheckFactory(cohort=cohort)
    job = JobFactory(cohort=cohort, requested_by=admin_user)
    seat = SeatFactory(contract=contract, employee=employee, cohort=cohort)
    event = SeatEventFactory(seat=seat, actor=admin_user, job=job, reason="requested by manager")
    key, _ = UserAPIKey.objects.create_key(name="dashboard", user=admin_user)
    return {
        Agency: agency,
        BargainingUnit: unit,
        CoordinatorAgency: CoordinatorAgency.objects.create(user=admin_user, agency=agency),
        UserAPIKey: key,
        Employee: employee,
        Contract: contract,
        Wave: wave,
        Cohort: cohort,
        ReadinessCheck: check,
        Job: job,
        Seat: seat,
        SeatEvent: event,
        UsageDay: UsageDayFactory(seat=seat),
        BillingPeriod: BillingPeriodFactory(contract=contract),
        CostSnapshot: CostSnapshotFactory(contract=contract),
    }


EVERY_MODEL = [
    Agency,
    BargainingUnit,
    Employee,
    CoordinatorAgency,
    UserAPIKey,
    Contract,
    Wave,
    Cohort,
    ReadinessCheck,
    Job,
    Seat,
    SeatEvent,
    UsageDay,
    BillingPeriod,
    CostSnapshot,
]
ADDABLE = [
    Agency,
    BargainingUnit,
    Employee,
    CoordinatorAgency,
    UserAPIKey,
    Contract,
    Wave,
    Cohort,
    ReadinessCheck,
]
NOT_ADDABLE = [m for m in EVERY_MODEL if m not in ADDABLE]
model_ids = pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda m: m.__name__)


# --- every page answers ----------------------------------------------------------------------


@model_ids
def test_changelist__superuser_with_a_row__200(admin_client, one_of_each, model):
    # Given one row of every model
    # When a superuser opens the model's changelist
    response = admin_client.get(_url(model, "changelist"))
    # Then it answers and lists the row
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@model_ids
def test_changelist__search_and_every_filter_param__200(admin_client, one_of_each, model):
    # Given one row of every model
    model_admin = admin.site._registry[model]
    # When a superuser searches the changelist (where it has a search box)
    params = {"q": "E0"} if model_admin.search_fields else {}
    response = admin_client.get(_url(model, "changelist"), params)
    # Then the search lookups are valid and the page answers
    assert response.status_code == 200


@model_ids
def test_change_page__superuser__200(admin_client, one_of_each, model):
    # Given one row of every model
    obj = one_of_each[model]
    # When a superuser opens its change (or view) page
    response = admin_client.get(_url(model, "change", obj.pk))
    # Then it answers
    assert response.status_code == 200


@pytest.mark.parametrize(
    "model", [m for m in EVERY_MODEL if m is not UserAPIKey], ids=lambda m: m.__name__
)
def test_change_page__every_model_field__shown(rf, admin_user, one_of_each, model):
    # Given a model admin that lists its fields by hand
    model_admin = admin.site._registry[model]
    obj = one_of_each[model]
    request = rf.get("/")
    request.user = admin_user
    # When its change page's fieldsets are laid out
    shown = {
        name for _, options in model_admin.get_fieldsets(request, obj) for name in options["fields"]
    }
    # Then no stored field is silently left off (a field added to the model must be placed)
    stored = {f.name for f in model._meta.concrete_fields if not f.primary_key}
    assert stored <= shown


@pytest.mark.parametrize("model", ADDABLE, ids=lambda m: m.__name__)
def test_add_page__addable_model__200(admin_client, one_of_each, model):
    # Given a model staff may enter by hand
    # When a superuser opens its add page
    response = admin_client.get(_url(model, "add"))
    # Then it answers
    assert response.status_code == 200


@pytest.mark.parametrize("model", NOT_ADDABLE, ids=lambda m: m.__name__)
def test_add_page__record_written_by_services_or_jobs__403(admin_client, one_of_each, model):
    # Given a model whose rows only services or jobs write
    # When a superuser opens its add page
    response = admin_client.get(_url(model, "add"))
    # Then it is refused
    assert response.status_code == 403


def test_contract_change_page__tiers__shown_inline(admin_client, one_of_each):
    # Given the demo contract with its four price tiers
    contract = one_of_each[Contract]
    # When a superuser opens the contract
    response = admin_client.get(_url(Contract, "change", contract.pk))
    # Then the tiers are an inline formset on the page
    formsets = response.context["inline_admin_formsets"]
    assert [f.formset.model.__name__ for f in formsets] == ["PriceTier"]
    assert formsets[0].formset.initial_form_count() == 4


def test_wave_change_page__cohorts__inline_with_planning_fields(admin_client, one_of_each):
    # Given a wave with one cohort
    wave = one_of_each[Wave]
    # When a superuser opens the wave
    response = admin_client.get(_url(Wave, "change", wave.pk))
    # Then the cohort is inline with agency, quota, onboarding date and status
    inline, changes = response.context["inline_admin_formsets"]
    form = inline.formset.forms[0]
    assert {"agency", "seat_quota", "onboarding_date", "status"} <= set(form.fields)
    assert "approved_by" not in response.context["adminform"].form.fields
    # And its status changes below, read-only
    assert changes.formset.model is WaveEvent
    assert not changes.has_add_permission


def test_wave_change_page__status_changes__who_when_and_why(admin_client, one_of_each):
    # Given a planned wave a rollout manager cancelled, saying why
    wave = one_of_each[Wave]
    Wave.objects.filter(pk=wave.pk).update(status="planned")
    wave.refresh_from_db()
    wave_cancel(wave=wave, actor=manager("eotss.rollout"), reason="Budget moved to FY28")

    # When a superuser opens the wave, the change is listed with who and why
    html = admin_client.get(_url(Wave, "change", wave.pk)).content.decode()
    assert "Budget moved to FY28" in html
    assert "eotss.rollout" in html


def test_cohort_change_page__readiness_checks__inline(admin_client, one_of_each):
    # Given a cohort with one readiness check
    cohort = one_of_each[Cohort]
    # When a superuser opens the cohort
    response = admin_client.get(_url(Cohort, "change", cohort.pk))
    # Then its checks are inline
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.model is ReadinessCheck
    assert inline.formset.initial_form_count() == 1
    # and who signed a gate off, and when, is shown but cannot be typed in
    assert {"kind", "evidence"} <= set(inline.formset.forms[0].fields)
    assert not {"is_met", "met_at", "signed_off_by"} & set(inline.formset.forms[0].fields)


def test_employee_change_page__agency_field__autocomplete_not_full_select(admin_client):
    # Given many agencies
    AgencyFactory.create_batch(30)
    employee = EmployeeFactory()
    # When a superuser opens an employee
    response = admin_client.get(_url(Employee, "change", employee.pk))
    # Then agency and bargaining unit are autocomplete widgets, not a <select> of every row
    form = response.context["adminform"].form
    for name in ("agency", "bargaining_unit"):
        assert type(form.fields[name].widget.widget).__name__ == "AutocompleteSelect"
    assert response.content.decode().count("<option") < 10


# --- SeatEvent is append-only ------------------------------------------------------------------


def test_seat_event_add__post__403_and_nothing_written(admin_client, one_of_each):
    # Given one seat event
    seat = one_of_each[Seat]
    # When a superuser posts a new event through the admin
    response = admin_client.post(
        _url(SeatEvent, "add"),
        {"seat": seat.pk, "from_status": "requested", "to_status": "active", "at": "2026-03-01"},
    )
    # Then it is refused and the log is untouched
    assert response.status_code == 403
    assert SeatEvent.objects.count() == 1


def test_seat_event_change__post__403_and_row_unchanged(admin_client, one_of_each):
    # Given one seat event
    event = one_of_each[SeatEvent]
    before = (event.from_status, event.to_status, event.at, event.reason)
    # When a superuser posts an edit to it
    response = admin_client.post(
        _url(SeatEvent, "change", event.pk),
        {"seat": event.seat_id, "to_status": "active", "reason": "rewritten", "at": "2020-01-01"},
    )
    # Then it is refused and the row is as it was
    assert response.status_code == 403
    event.refresh_from_db()
    assert (event.from_status, event.to_status, event.at, event.reason) == before


def test_seat_event_change_page__get__read_only_view(admin_client, one_of_each):
    # Given one seat event
    event = one_of_each[SeatEvent]
    # When a superuser opens it
    response = admin_client.get(_url(SeatEvent, "change", event.pk))
    # Then it is shown with no editable field and no save button
    assert response.status_code == 200
    assert not response.context["adminform"].form.fields
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_seat_event_delete__any_method__403_and_row_kept(admin_client, one_of_each, method):
    # Given one seat event
    event = one_of_each[SeatEvent]
    # When a superuser asks to delete it
    response = getattr(admin_client, method)(
        _url(SeatEvent, "delete", event.pk), {"post": "yes"} if method == "post" else None
    )
    # Then it is refused and the row is still there
    assert response.status_code == 403
    assert SeatEvent.objects.filter(pk=event.pk).exists()


def test_seat_event_changelist__delete_action__not_offered(admin_client, one_of_each):
    # Given one seat event
    # When a superuser opens the changelist
    response = admin_client.get(_url(SeatEvent, "changelist"))
    # Then the bulk delete action is not offered
    assert "delete_selected" not in response.content.decode()


# --- derived fields stay read-only -------------------------------------------------------------


def _seat_change_data(seat, **overrides):
    events = list(seat.events.all())
    data = {
        "cohort": seat.cohort_id or "",
        "events-TOTAL_FORMS": str(len(events)),
        "events-INITIAL_FORMS": str(len(events)),
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    for i, event in enumerate(events):
        data[f"events-{i}-id"] = str(event.pk)
        data[f"events-{i}-seat"] = str(seat.pk)
    data.update(overrides)
    return data


def test_seat_change__status_and_dates_posted__ignored(admin_client, one_of_each):
    # Given a requested seat
    seat = one_of_each[Seat]
    # When a superuser posts the seat form with a new status, activation date and employee
    other = EmployeeFactory()
    response = admin_client.post(
        _url(Seat, "change", seat.pk),
        _seat_change_data(
            seat,
            status="active",
            activated_at_0="2026-03-01",
            activated_at_1="09:00:00",
            employee=str(other.pk),
        ),
    )
    # Then the save goes through but none of the derived or fixed fields moved
    assert response.status_code == 302
    seat.refresh_from_db()
    assert (seat.status, seat.activated_at, seat.employee_id) == (
        "requested",
        None,
        one_of_each[Employee].pk,
    )
    assert seat.events.count() == 1


def test_seat_change_page__status_fields__read_only(admin_client, one_of_each):
    # Given a seat
    seat = one_of_each[Seat]
    # When a superuser opens it
    response = admin_client.get(_url(Seat, "change", seat.pk))
    # Then status, activation and end dates are not form fields; the event history is shown
    fields = response.context["adminform"].form.fields
    assert not {"status", "activated_at", "ended_at"} & set(fields)
    assert set(fields) == {"cohort"}
    assert "requested by manager" in response.content.decode()


@pytest.mark.parametrize("model", [Seat, SeatEvent, UsageDay, BillingPeriod, CostSnapshot, Job])
def test_delete__ledger_or_job_record__403(admin_client, one_of_each, model):
    # Given a record billing or progress is read from
    obj = one_of_each[model]
    # When a superuser asks to delete it
    response = admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"})
    # Then it is refused and kept
    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", [CostSnapshot, Job, UsageDay])
def test_change__view_only_record__post_403(admin_client, one_of_each, model):
    # Given a record a job writes
    obj = one_of_each[model]
    # When a superuser posts an edit
    response = admin_client.post(_url(model, "change", obj.pk), {})
    # Then it is refused
    assert response.status_code == 403


def test_billing_period_change__status_and_amount_posted__only_status_saved(
    admin_client, admin_user, one_of_each
):
    # Given an accrued billing line
    period = one_of_each[BillingPeriod]
    # When finance marks it invoiced and tries to change the amount in the same post
    response = admin_client.post(
        _url(BillingPeriod, "change", period.pk),
        {"status": "invoiced", "amount": "1.00", "billable_persons": "1"},
    )
    # Then the status moved, who and when are recorded, and the money is untouched
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.status == "invoiced"
    assert period.amount == Decimal("130000.00")
    assert period.billable_persons == 10_000
    assert period.status_changed_by == admin_user
    assert period.status_changed_at is not None


def test_billing_period_change_page__only_status__editable(admin_client, one_of_each):
    # Given a billing line
    period = one_of_each[BillingPeriod]
    # When finance opens it
    response = admin_client.get(_url(BillingPeriod, "change", period.pk))
    # Then status is the only form field
    assert set(response.context["adminform"].form.fields) == {"status"}


def test_job_changelist__progress__shown_as_percentage(admin_client, one_of_each):
    # Given a job 37 of 100 done
    # When a superuser lists jobs
    response = admin_client.get(_url(Job, "changelist"))
    # Then the progress column shows the percentage
    assert "37% (37/100)" in response.content.decode()


def test_job_changelist__no_total_yet__dash(admin_client):
    # Given a queued job that has not counted its work yet
    JobFactory(status="queued", done=0, total=0)
    # When a superuser lists jobs
    response = admin_client.get(_url(Job, "changelist"))
    # Then progress shows a dash instead of dividing by zero
    assert response.status_code == 200
    assert "—" in response.content.decode()


def test_cost_snapshot_changelist__money__shown_as_stored_decimal(admin_client, one_of_each):
    # Given a snapshot with spend to date of 130,000.00
    # When finance lists snapshots
    response = admin_client.get(_url(CostSnapshot, "changelist"))
    # Then the amount appears to the cent as stored
    assert "130000.00" in response.content.decode()


# --- contract price tiers ----------------------------------------------------------------------


def _contract_change_data(contract, stored, rows):
    tiers = list(zip(stored, rows, strict=True))
    data = {
        "name": contract.name,
        "number": contract.number,
        "vendor": contract.vendor,
        "reseller": contract.reseller,
        "is_active": "on",
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "floor_amount": str(contract.floor_amount),
        "ceiling_amount": str(contract.ceiling_amount),
        "tier_mode": contract.tier_mode,
        "billing_basis": contract.billing_basis,
        "min_billable_seats": str(contract.min_billable_seats),
        "shortfall_allocation": contract.shortfall_allocation,
        "requires_training": "on",
        "readiness_threshold": str(contract.readiness_threshold),
        "idle_days": str(contract.idle_days),
        "reclaim_grace_days": str(contract.reclaim_grace_days),
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": str(len(tiers)),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, (tier, (lo, hi, price)) in enumerate(tiers):
        data.update(
            {
                f"tiers-{i}-id": str(tier.pk),
                f"tiers-{i}-contract": str(contract.pk),
                f"tiers-{i}-min_seats": str(lo),
                f"tiers-{i}-max_seats": "" if hi is None else str(hi),
                f"tiers-{i}-unit_price_monthly": price,
            }
        )
    return data


def test_contract_change__tiers_with_a_gap__refused_with_rule_message(admin_client):
    # Given the demo contract
    contract = ContractFactory()
    stored = list(contract.tiers.order_by("min_seats"))
    # When the second tier is edited to start one seat late
    rows = [(1, 10_000, "13"), (10_002, 20_000, "11"), (20_001, 30_000, "9"), (30_001, None, "7")]
    response = admin_client.post(
        _url(Contract, "change", contract.pk), _contract_change_data(contract, stored, rows)
    )
    # Then the form is shown again with the pricing rule's message and nothing is saved
    assert response.status_code == 200
    assert "tiers must be contiguous" in response.content.decode()
    assert contract.tiers.get(pk=stored[1].pk).min_seats == 10_001


def test_contract_change__valid_price_change__saved(admin_client):
    # Given the demo contract
    contract = ContractFactory()
    stored = list(contract.tiers.order_by("min_seats"))
    # When the first tier's price is changed and the table stays contiguous
    rows = [(1, 10_000, "12.5"), (10_001, 20_000, "11"), (20_001, 30_000, "9"), (30_001, None, "7")]
    response = admin_client.post(
        _url(Contract, "change", contract.pk), _contract_change_data(contract, stored, rows)
    )
    # Then it is saved exactly
    assert response.status_code == 302
    assert contract.tiers.get(pk=stored[0].pk).unit_price_monthly == Decimal("12.5")


# --- constant queries on the big changelists ---------------------------------------------------


def _build_employees(n):
    for _ in range(n):
        EmployeeFactory(bargaining_unit=BargainingUnitFactory())


def _build_seats(n):
    wave = WaveFactory()
    for _ in range(n):
        employee = EmployeeFactory()
        cohort = CohortFactory(wave=wave, agency=employee.agency)
        SeatFactory(contract=wave.contract, employee=employee, cohort=cohort)


def _build_seat_events(n):
    for _ in range(n):
        SeatEventFactory(job=JobFactory())


def _build_usage_days(n):
    for _ in range(n):
        UsageDayFactory()


def _build_cohorts_with_checks(n):
    for _ in range(n):
        ReadinessCheckFactory()


def _build_jobs(n):
    for _ in range(n):
        JobFactory(cohort=CohortFactory())


def _changelist_queries(client, model):
    url = _url(model, "changelist")
    client.get(url)  # warm the content-type and session caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_employee_changelist__5_then_50_employees__same_query_count(admin_client):
    # Given 5 employees, each in their own agency and bargaining unit
    _build_employees(5)
    few = _changelist_queries(admin_client, Employee)
    # When 45 more join and the changelist is loaded again
    _build_employees(45)
    many = _changelist_queries(admin_client, Employee)
    # Then the page ran exactly as many queries
    assert many == few


@pytest.mark.parametrize(
    ("model", "build"),
    [
        (Seat, _build_seats),
        (SeatEvent, _build_seat_events),
        (UsageDay, _build_usage_days),
        (Cohort, _build_cohorts_with_checks),
        (ReadinessCheck, _build_cohorts_with_checks),
        (Job, _build_jobs),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_big_changelist__more_rows__same_query_count(admin_client, model, build):
    # Given a few rows
    build(3)
    few = _changelist_queries(admin_client, model)
    # When there are many more
    build(12)
    many = _changelist_queries(admin_client, model)
    # Then the changelist runs the same number of queries
    assert many == few


# --- roster import and export ------------------------------------------------------------------


def test_employee_import__valid_csv_confirmed__rows_created(admin_client):
    # Given an agency and a bargaining unit, and a roster naming them by code
    agency = AgencyFactory(code="DOR")
    unit = BargainingUnitFactory(code="NAGE-6")
    csv_text = "\n".join(
        [
            ROSTER_HEADER,
            "HR0001,Ada.Lovelace@Mass.Example.gov,Ada,Lovelace,DOR,NAGE-6,Analyst,active,"
            "2026-01-10,2026-01-11",
            "HR0002,grace@mass.example.gov,Grace,Hopper,DOR,,Engineer,leave,,",
        ]
    )
    # When a superuser uploads it and confirms the preview
    preview = _upload_roster(admin_client, csv_text)
    assert preview.status_code == 200
    assert not preview.context["result"].has_validation_errors()
    assert Employee.objects.count() == 0  # the preview is a dry run
    response = _confirm_import(admin_client, preview)
    # Then both employees exist with their agency and unit resolved from the codes
    assert response.status_code == 302
    ada = Employee.objects.get(employee_number="HR0001")
    grace = Employee.objects.get(employee_number="HR0002")
    assert (ada.agency, ada.bargaining_unit, ada.email) == (
        agency,
        unit,
        "ada.lovelace@mass.example.gov",
    )
    assert ada.training_completed_on == dt.date(2026, 1, 10)
    assert (grace.bargaining_unit, grace.employment_status) == (None, "leave")


def test_employee_import__existing_employee_changed__updated_and_unchanged_skipped(admin_client):
    # Given two employees already on the roster
    agency = AgencyFactory(code="DOR")
    moved_to = AgencyFactory(code="DPH")
    kept = EmployeeFactory(employee_number="HR0001", agency=agency, job_title="Analyst")
    moved = EmployeeFactory(employee_number="HR0002", agency=agency, job_title="Analyst")
    stamp = moved.updated_at

    def row(e, agency_code):
        return (
            f"{e.employee_number},{e.email},{e.first_name},{e.last_name},{agency_code},,"
            f"Analyst,active,2026-01-15,2026-01-15"
        )

    # When a roster arrives where only the second employee moved agency
    preview = _upload_roster(
        admin_client, "\n".join([ROSTER_HEADER, row(kept, "DOR"), row(moved, "DPH")])
    )
    response = _confirm_import(admin_client, preview)
    # Then the move is saved with a fresh change stamp and the other row is left alone
    assert response.status_code == 302
    moved.refresh_from_db()
    kept_after = Employee.objects.get(pk=kept.pk)
    assert moved.agency == moved_to
    assert moved.updated_at > stamp
    assert kept_after.updated_at == kept.updated_at
    assert Employee.objects.count() == 2


def test_employee_import__unknown_agency_code__nothing_created_and_row_error_shown(admin_client):
    # Given one known agency and a roster whose second row names an agency that does not exist
    AgencyFactory(code="DOR")
    csv_text = "\n".join(
        [
            ROSTER_HEADER,
            "HR0001,ada@mass.example.gov,Ada,Lovelace,DOR,,Analyst,active,,",
            "HR0002,grace@mass.example.gov,Grace,Hopper,NOPE,,Engineer,active,,",
        ]
    )
    # When a superuser uploads it
    response = _upload_roster(admin_client, csv_text)
    # Then the page names the bad row and code, offers no confirm step, and nothing is created
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [2]
    assert "confirm_form" not in response.context
    assert "No agency has code &#x27;NOPE&#x27;" in response.content.decode()
    assert Employee.objects.count() == 0


def test_employee_import__bad_file_forced_through_confirm__nothing_created(admin_client):
    # Given a roster with one good and one bad row, stored as if it had passed the preview
    AgencyFactory(code="DOR")
    csv_text = "\n".join(
        [
            ROSTER_HEADER,
            "HR0001,ada@mass.example.gov,Ada,Lovelace,DOR,,Analyst,active,,",
            "HR0002,grace@mass.example.gov,Grace,Hopper,NOPE,,Engineer,active,,",
        ]
    )
    storage = TempFolderStorage(encoding="utf-8", read_mode="r")
    storage.save(csv_text.encode())
    fmt = _format_index(_employee_admin().get_import_formats(), base_formats.CSV)
    # When the confirm step is posted directly
    admin_client.post(
        _url(Employee, "process_import"),
        {
            "import_file_name": storage.name,
            "original_file_name": "roster.csv",
            "format": fmt,
            "resource": "0",
        },
    )
    # Then the import is all or nothing: the good row was rolled back too
    assert Employee.objects.count() == 0


def test_employee_import__email_taken_in_other_case__refused_and_nothing_created(admin_client):
    # Given an employee whose e-mail a new roster row reuses in another case
    agency = AgencyFactory(code="DOR")
    EmployeeFactory(employee_number="HR0001", email="ada@mass.example.gov", agency=agency)
    csv_text = "\n".join(
        [
            ROSTER_HEADER,
            "HR0002,grace@mass.example.gov,Grace,Hopper,DOR,,Engineer,active,,",
            "HR0003,ADA@mass.example.gov,Ada,Clone,DOR,,Analyst,active,,",
        ]
    )
    # When a superuser uploads it
    response = _upload_roster(admin_client, csv_text)
    # Then the database's case-insensitive constraint refuses the batch, the preview shows the
    # error with no confirm step, and no row of the file was created
    assert response.context["result"].has_errors()
    assert "confirm_form" not in response.context
    assert set(Employee.objects.values_list("employee_number", flat=True)) == {"HR0001"}


def test_employee_import__invalid_status_value__row_error_before_bulk_write(admin_client):
    # Given a roster with an employment status that is not one of the choices
    AgencyFactory(code="DOR")
    csv_text = "\n".join(
        [ROSTER_HEADER, "HR0001,ada@mass.example.gov,Ada,Lovelace,DOR,,Analyst,retired,,"]
    )
    # When a superuser uploads it
    response = _upload_roster(admin_client, csv_text)
    # Then the row is reported invalid and nothing is created
    result = response.context["result"]
    assert result.has_validation_errors()
    assert "employment_status" in result.invalid_rows[0].field_specific_errors
    assert Employee.objects.count() == 0


def test_bargaining_unit_change_page__status__read_only(admin_client, one_of_each):
    # Given a bargaining unit
    unit = one_of_each[BargainingUnit]
    # When a superuser opens it
    response = admin_client.get(_url(BargainingUnit, "change", unit.pk))
    # Then its bargaining status is shown but is not a form field (it moves seats to held)
    fields = response.context["adminform"].form.fields
    assert {"code", "name", "union"} <= set(fields)
    assert not {"bargaining_status", "status_changed_at"} & set(fields)


def test_bargaining_unit_import__status_column__name_saved_status_untouched(admin_client):
    # Given a unit with no bargaining demand
    unit = BargainingUnitFactory(code="NAGE-1", name="Old name", union="NAGE")
    csv_text = "code,name,union,bargaining_status,status_changed_at\n" + (
        "NAGE-1,Unit 1,NAGE,bargaining,2026-02-20 09:00:00"
    )
    # When a file renaming it and claiming it is bargaining is imported
    response = _confirm(
        admin_client, BargainingUnit, _upload(admin_client, BargainingUnit, csv_text)
    )
    # Then the name is updated but the status only moves through the service that holds seats
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.name, unit.bargaining_status, unit.status_changed_at) == ("Unit 1", "none", None)


def test_agency_import__parent_by_code__created_under_parent(admin_client):
    # Given a file with a secretariat and an agency under it
    csv_text = "\n".join(
        [
            "code,name,parent,headcount,chargeback_code,is_active",
            "EOHHS,Health and Human Services,,22000,CB-EOHHS,1",
            "DPH,Public Health,EOHHS,3000,CB-DPH,1",
        ]
    )
    # When it is imported and confirmed
    response = _confirm(admin_client, Agency, _upload(admin_client, Agency, csv_text))
    # Then both exist and the agency points at its secretariat
    assert response.status_code == 302
    assert Agency.objects.get(code="DPH").parent == Agency.objects.get(code="EOHHS")


def test_employee_export__csv__header_and_codes(admin_client):
    # Given an employee in an agency with a bargaining unit
    employee = EmployeeFactory(
        agency=AgencyFactory(code="DOR"), bargaining_unit=BargainingUnitFactory(code="NAGE-6")
    )
    model_admin = _employee_admin()
    resource_class = model_admin.get_export_resource_classes(None)[0]
    fields = {
        f"{resource_class.__name__.lower()}_{name}": "on"
        for name in resource_class().get_export_order()
    }
    # When a superuser exports the roster as CSV
    response = admin_client.post(
        _url(Employee, "export"),
        {
            "format": _format_index(model_admin.get_export_formats(), base_formats.CSV),
            "resource": "0",
            **fields,
        },
    )
    # Then the file has the natural-key header and writes related rows as their codes
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    header = lines[0].lstrip("\ufeff").split(",")
    assert header[0] == "employee_number"
    assert "employee_number" in header and "id" not in header
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert (row["employee_number"], row["agency"], row["bargaining_unit"]) == (
        employee.employee_number,
        "DOR",
        "NAGE-6",
    )


def test_billing_period_change__status_changed__recorded_and_listed(
    admin_client, admin_user, one_of_each
):
    # Given an accrued billing line, set to paid by a superuser in the admin
    period = one_of_each[BillingPeriod]
    admin_client.post(_url(BillingPeriod, "change", period.pk), {"status": "paid"})

    # Then the change is recorded like a mark, and the change page lists it
    event = period.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("accrued", "paid", admin_user)
    page = admin_client.get(_url(BillingPeriod, "change", period.pk)).content.decode()
    assert "accrued → paid by admin — changed in the admin" in page
