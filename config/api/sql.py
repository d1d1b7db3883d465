"""Helpers for the two statements the API writes as SQL instead of building through the ORM (the
API-key lookup and the seat-counts fingerprint): both run on every request they serve, and
compiling them through the ORM each time would cost more than executing them."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils.dateparse import parse_datetime


def table(model) -> str:
    """The model's table name, quoted for the current database."""
    return connection.ops.quote_name(model._meta.db_table)


def db_timestamp(value) -> dt.datetime | None:
    """An aware datetime from a timestamp column read outside the ORM (SQLite hands back text or
    a naive datetime, in UTC)."""
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
    return parsed.replace(tzinfo=dt.UTC) if parsed and parsed.tzinfo is None else parsed
