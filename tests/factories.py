"""factory_boy factories for every model; the demo contract's terms are the defaults."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Agency, BargainingUnit, Employee
from licensing.models import Contract, PriceTier, Seat, SeatEvent
from rollout.models import Cohort, ReadinessCheck, Wave


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests-only")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"AG{n:03d}")
    name = factory.LazyAttribute(lambda a: f"Agency {a.code}")
    headcount = 100
    chargeback_code = factory.LazyAttribute(lambda a: f"CB-{a.code}")


class BargainingUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BargainingUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.LazyAttribute(lambda u: f"Unit {u.code}")
    union = "NAGE"


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee_number = factory.Sequence(lambda n: f"E{n:06d}")
    email = factory.LazyAttribute(lambda e: f"{e.employee_number.lower()}@mass.example.gov")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    agency = factory.SubFactory(AgencyFactory)
    job_title = "Program Coordinator"
    training_completed_on = dt.date(2026, 1, 15)
    policy_acknowledged_on = dt.date(2026, 1, 15)


class ContractFactory(factory.django.DjangoModelFactory):
    """The demo contract of the design's worked reference."""

    class Meta:
        model = Contract
        skip_postgeneration_save = True

    name = "Enterprise AI assistant"
    vendor = "OpenAI"
    reseller = "Carahsoft Technology Corp."
    number = factory.Sequence(lambda n: f"RFQ-26-04261-{n}")
    start_date = dt.date(2026, 2, 13)
    end_date = dt.date(2027, 2, 12)
    floor_amount = Decimal("1560000.00")
    ceiling_amount = Decimal("3360000.00")
    min_billable_seats = 10_000
    tier_mode = "volume"
    billing_basis = "assigned"

    @factory.post_generation
    def tiers(obj, create, extracted, **kwargs):
        if not create:
            return
        rows = extracted if extracted is not None else DEMO_TIERS
        PriceTier.objects.bulk_create(
            PriceTier(contract=obj, min_seats=lo, max_seats=hi, unit_price_monthly=Decimal(p))
            for lo, hi, p in rows
        )


DEMO_TIERS = [(1, 10_000, "13"), (10_001, 20_000, "11"), (20_001, 30_000, "9"), (30_001, None, "7")]


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    contract = factory.SubFactory(ContractFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda w: f"Wave {w.number}")
    planned_start = dt.date(2026, 2, 13)
    planned_end = dt.date(2026, 3, 31)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    wave = factory.SubFactory(WaveFactory)
    agency = factory.SubFactory(AgencyFactory)
    seat_quota = 100
    onboarding_date = factory.LazyAttribute(lambda c: c.wave.planned_start)


class ReadinessCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadinessCheck

    cohort = factory.SubFactory(CohortFactory)
    kind = "privacy_review"


class SeatFactory(factory.django.DjangoModelFactory):
    """A bare seat row; tests that need history build it through the services."""

    class Meta:
        model = Seat

    contract = factory.SubFactory(ContractFactory)
    employee = factory.SubFactory(EmployeeFactory)
    agency = factory.LazyAttribute(lambda s: s.employee.agency)
    status = "requested"


class SeatEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatEvent

    seat = factory.SubFactory(SeatFactory)
    contract_id = factory.LazyAttribute(lambda e: e.seat.contract_id)
    agency_id = factory.LazyAttribute(lambda e: e.seat.agency_id)
    cohort_id = factory.LazyAttribute(lambda e: e.seat.cohort_id)
    from_status = ""
    to_status = "requested"
    at = factory.LazyFunction(timezone.now)
