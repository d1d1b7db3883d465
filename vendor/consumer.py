"""The vendor provisioning consumer of the outbox (`settings.OUTBOX_CONSUMERS`).

`accept` is handed every batch of events inside the dispatcher's transaction (core/outbox.py). It
records its own intents there, idempotently by event id, and asks for its own delivery task on
commit; it sends nothing itself. If it raises, the whole batch is rolled back and dispatched
again later, so no event is lost between the outbox and the intents."""

from __future__ import annotations

from core.models import Event

from .services.provisioning import provisioning_intents_record


def accept(events: list[Event]) -> None:
    provisioning_intents_record(events=events)
