"""Fixtures of the vendor tests: the vendor (scim2-server on 127.0.0.1, a free port, a bearer
token), a contract connected to it, a running wave with room, and quick retries so a test does
not wait out production backoffs."""

from __future__ import annotations

import pytest

from tests.factories import CohortFactory, ContractFactory, EmployeeFactory, WaveFactory
from vendor.models import VendorConnection

from .vendor_server import VendorServer


@pytest.fixture
def vendor():
    server = VendorServer().start()
    yield server
    server.stop()


@pytest.fixture
def quick_retries(settings):
    """Backoff and cooldown of zero: a retry is due at once (the tests step time by hand)."""
    settings.VENDOR_RETRY_BASE_SECONDS = 0
    settings.VENDOR_CIRCUIT_COOLDOWN_SECONDS = 0
    settings.VENDOR_SCIM_TIMEOUT = 5
    return settings


@pytest.fixture
def contract():
    return ContractFactory()


@pytest.fixture
def connection(contract, vendor):
    return VendorConnection.objects.create(
        contract=contract, base_url=vendor.url, token=vendor.token
    )


@pytest.fixture
def cohort(contract):
    wave = WaveFactory(contract=contract, status="in_progress")
    return CohortFactory(wave=wave, seat_quota=2000)


def people(cohort, n: int):
    return EmployeeFactory.create_batch(n, agency=cohort.agency)
