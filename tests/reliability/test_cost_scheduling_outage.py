"""A committed seat change stays committed when Redis or the broker is gone: the on-commit
request for a cost recompute logs and gives up (beat's safety net recomputes), instead of
turning the committed change into an error (licensing/services/scheduling.py)."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from licensing.services import scheduling
from licensing.tasks import recompute_contract_cost_task


@pytest.fixture
def with_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.COST_RECOMPUTE_DELAY = 2


def test_schedule__cache_unreachable__logs_and_does_not_raise(with_broker, monkeypatch, caplog):
    # Given a cache (Redis) that refuses connections
    def refuse(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(cache, "set", refuse)
    sent = []
    monkeypatch.setattr(recompute_contract_cost_task, "apply_async", lambda **kw: sent.append(kw))
    caplog.set_level(logging.WARNING, logger="licensing.services.scheduling")

    # When a committed seat change asks for a recompute
    scheduling._schedule(7)

    # Then nothing is raised or sent, and the warning says beat will heal it
    assert sent == []
    assert "not queued" in caplog.text and "safety net" in caplog.text


def test_schedule__broker_unreachable__marker_dropped_so_the_next_change_queues(
    with_broker, monkeypatch, caplog
):
    # Given a cache that works and a broker that does not
    def refuse(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(recompute_contract_cost_task, "apply_async", refuse)
    caplog.set_level(logging.WARNING, logger="licensing.services.scheduling")

    # When a change asks for a recompute
    scheduling._schedule(7)

    # Then it is logged, and the "scheduled" marker is gone, so the next change tries again
    scheduled, _ = scheduling._keys(7)
    assert cache.get(scheduled) is None
    assert "not queued" in caplog.text

    sent = []
    monkeypatch.setattr(recompute_contract_cost_task, "apply_async", lambda **kw: sent.append(kw))
    scheduling._schedule(7)
    assert len(sent) == 1


def test_schedule__broker_up__one_job_per_burst(with_broker, monkeypatch):
    sent = []
    monkeypatch.setattr(recompute_contract_cost_task, "apply_async", lambda **kw: sent.append(kw))

    for _ in range(5):
        scheduling._schedule(7)

    assert len(sent) == 1
    assert sent[0]["args"] == [7]
