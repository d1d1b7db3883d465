"""On PostgreSQL a batch of events is written with COPY (core/outbox.py): the rows and the returned
events are exactly what the ORM's bulk insert gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from core.models import Event
from core.outbox import COPY_FROM, events_emit
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


AT = dt.datetime(2026, 3, 2, 14, 30, 5, 123456, tzinfo=dt.UTC)


def _batch(n, actor=None, at=AT):
    return [
        Event(
            type="seat.status_changed",
            subject=f"seat:{i}",
            payload={"seat": i, "at": at, "amount": Decimal("13.10"), "day": dt.date(2026, 3, 1)},
            agency_ids=[3, 1, 3],
            actor=actor,
            created_at=at - dt.timedelta(seconds=i),
        )
        for i in range(n)
    ]


def test_events_emit__large_batch_by_copy__same_rows_as_the_orm():
    # Given two equal batches, one large enough for COPY, one written by the ORM
    actor = UserFactory()
    with transaction.atomic():
        copied = events_emit(_batch(COPY_FROM, actor))
        orm = Event.objects.bulk_create(_batch(COPY_FROM, actor))

    # Then the COPY batch came back saved, with ascending ids, as the ORM's does
    assert [e.pk for e in copied] == sorted(e.pk for e in copied)
    assert all(not e._state.adding for e in copied)

    # And the stored rows read back the same, field by field
    fields = ["type", "subject", "payload", "agency_ids", "actor_id", "created_at", "dispatched_at"]
    stored_copy = list(Event.objects.filter(pk__in=[e.pk for e in copied]).values(*fields))
    stored_orm = list(Event.objects.filter(pk__in=[e.pk for e in orm]).values(*fields))
    assert stored_copy == [{**row, "agency_ids": [1, 3]} for row in stored_orm]
    assert stored_copy[0]["payload"]["amount"] == "13.10"


def test_events_emit__copy_then_insert__ids_keep_counting():
    with transaction.atomic():
        copied = events_emit(_batch(COPY_FROM))
        single = Event.objects.create(type="job.finished", subject="job:1")
    assert single.pk > copied[-1].pk
