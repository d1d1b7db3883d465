"""The roster import's bulk writes: employees inserted and updated 1,000 at a time, each batch
with its simple_history rows, one SQL statement per batch and table.

Django's `bulk_update` compiles a `CASE WHEN id = … THEN …` per field per row, which costs about
6 ms a row in Python at 1,000 rows a batch, and `bulk_create` runs each value through the
expression machinery; at 40,000 rows they were most of the import's time. These write the same
rows with one multi-row `INSERT … RETURNING id` or one `UPDATE … FROM (VALUES …)` per batch,
with values prepared by the model fields themselves (`get_db_prep_save`, so the e-mail field
still lower-cases and datetimes are adapted per backend). The history rows are exactly those
simple_history's `bulk_create_with_history` / `bulk_update_with_history` would write: the
columns come from the historical model, so they follow its migrations.

On PostgreSQL each column of a batch travels as one array parameter (`unnest`), so a statement
has a dozen parameters rather than 11,000: psycopg parses and PostgreSQL plans it in no time.
Elsewhere (SQLite ≥ 3.35: RETURNING, UPDATE … FROM) it is a multi-row VALUES list.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from agencies.models import Employee

BATCH_SIZE = 1000
_EMPLOYEE = [f for f in Employee._meta.concrete_fields if not f.primary_key]
_ID = Employee._meta.pk
_BY_ATTNAME = {f.attname: f for f in Employee._meta.concrete_fields}
_HISTORY_MODEL = Employee.history.model
_HISTORY = [f for f in _HISTORY_MODEL._meta.concrete_fields if not f.primary_key]
_HISTORY_CONSTANT = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _arrays(fields, rows: Sequence[dict]) -> tuple[str, list]:
    """`unnest(CAST(%s AS type[]), …)` and one list per column (PostgreSQL)."""
    sql = ", ".join(f"CAST(%s AS {f.cast_db_type(connection)}[])" for f in fields)
    return f"unnest({sql})", [[row[f.attname] for row in rows] for f in fields]


def _values(fields, rows: Sequence[dict]) -> tuple[str, list]:
    """`VALUES (%s, …), …` and the prepared parameters, row by row (other backends)."""
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(row[f.attname], connection) for row in rows for f in fields]
    return "VALUES " + ", ".join([row_sql] * len(rows)), params


def _batches(items: Sequence, width: int):
    size = BATCH_SIZE
    if not _pg():
        import sqlite3

        connection.ensure_connection()
        getlimit = getattr(connection.connection, "getlimit", None)
        limit = (
            getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            if getlimit
            else connection.features.max_query_params
        )
        size = max(1, min(size, limit // width))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_employees(rows: Sequence[dict]) -> None:
    """Insert employees given as {attname: value} (every field but the id) and set each row's
    "id" to its new id."""
    table = _q(Employee._meta.db_table)
    columns = ", ".join(_q(f.column) for f in _EMPLOYEE)
    number = _q(_BY_ATTNAME["employee_number"].column)
    for batch in _batches(rows, len(_EMPLOYEE)):
        source, params = (_arrays if _pg() else _values)(_EMPLOYEE, batch)
        select = f"SELECT * FROM {source}" if _pg() else source
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {select} RETURNING {_q(_ID.column)}, {number}",
                params,
            )
            ids = dict((n, pk) for pk, n in cursor.fetchall())
        for row in batch:
            row["id"] = ids[row["employee_number"]]


def update_employees(rows: Sequence[dict], names: Sequence[str]) -> None:
    """Set the fields `names` (attnames) of the employees given as {attname: value}, id
    included: one `UPDATE … FROM` per batch."""
    fields = [_ID, *(_BY_ATTNAME[name] for name in names)]
    table = _q(Employee._meta.db_table)
    aliases = [_q(f"c_{f.attname}") for f in fields]
    assignments = ", ".join(
        f"{_q(f.column)} = v.{alias}" for f, alias in zip(fields[1:], aliases[1:], strict=True)
    )
    for batch in _batches(rows, len(fields)):
        source, params = (_arrays if _pg() else _values)(fields, batch)
        source = f"SELECT * FROM {source}" if _pg() else source
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v ({', '.join(aliases)}) AS ({source}) "
                f"UPDATE {table} SET {assignments} FROM v "
                f"WHERE {table}.{_q(_ID.column)} = v.{aliases[0]}",
                params,
            )


def insert_history(rows: Sequence[dict], *, history_type: str, user_id, date, reason: str) -> None:
    """The simple_history rows of employees just created ("+") or changed ("~"), given as
    {attname: value} with their id: the rows simple_history's bulk helpers write, one INSERT
    per batch."""
    constant = {
        "history_date": date,
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": user_id,
    }
    tracked = [f for f in _HISTORY if f.attname not in constant]
    fixed = [f for f in _HISTORY if f.attname in constant]
    table = _q(_HISTORY_MODEL._meta.db_table)
    columns = ", ".join(_q(f.column) for f in [*tracked, *fixed])
    for batch in _batches(rows, len(_HISTORY)):
        if _pg():
            source, params = _arrays(tracked, batch)
            casts = ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in fixed)
            sql = f"INSERT INTO {table} ({columns}) SELECT *, {casts} FROM {source}"
            params = [constant[f.attname] for f in fixed] + params
        else:
            full = [{**row, **constant} for row in batch]
            source, params = _values([*tracked, *fixed], full)
            sql = f"INSERT INTO {table} ({columns}) {source}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
