"""Fixtures of the rollout tests."""

import pytest

from tests.rollout.builders import manager


@pytest.fixture
def rollout_manager(db):
    return manager()
