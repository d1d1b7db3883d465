"""The active-seat tally and, on PostgreSQL, the triggers that keep it (docs/cost-engine.md,
"Reading the counts fast"). Statement-level triggers with transition tables append one signed
delta row per (contract, agency, cohort, day) a statement changes, whatever wrote the seats:
services, bulk updates, the admin, raw SQL. Deltas are only ever inserted, so concurrent writers
never wait on each other's tally rows and cannot deadlock on them.

The day a seat became active is its `status_changed_at` in settings.TIME_ZONE, read when this
migration runs: billing days are that zone's calendar days."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_DELTAS = """
    INSERT INTO licensing_activeseattally (contract_id, agency_id, cohort_id, since_day, seats)
    SELECT contract_id, agency_id, cohort_id, since_day, SUM(n)::integer FROM (
        {rows}
    ) d
    GROUP BY contract_id, agency_id, cohort_id, since_day
    HAVING SUM(n) <> 0;
"""
_ROWS = """SELECT contract_id, agency_id, cohort_id,
               (status_changed_at AT TIME ZONE '{zone}')::date AS since_day, {sign} AS n
        FROM {table} WHERE status = 'active'"""


def _function_sql(zone: str) -> str:
    new = _ROWS.format(zone=zone, sign=1, table="new_rows")
    old = _ROWS.format(zone=zone, sign=-1, table="old_rows")
    return f"""
CREATE OR REPLACE FUNCTION licensing_active_seat_tally() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_DELTAS.format(rows=new)}
    ELSIF TG_OP = 'DELETE' THEN
        {_DELTAS.format(rows=old)}
    ELSE
        {_DELTAS.format(rows=new + " UNION ALL " + old)}
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER licensing_seat_tally_insert AFTER INSERT ON licensing_seat
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licensing_active_seat_tally();
CREATE TRIGGER licensing_seat_tally_update AFTER UPDATE ON licensing_seat
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licensing_active_seat_tally();
CREATE TRIGGER licensing_seat_tally_delete AFTER DELETE ON licensing_seat
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION licensing_active_seat_tally();
INSERT INTO licensing_activeseattally (contract_id, agency_id, cohort_id, since_day, seats)
{_ROWS.format(zone=zone, sign="COUNT(*)", table="licensing_seat")}
GROUP BY contract_id, agency_id, cohort_id, since_day;
"""


_DROP = """
DROP TRIGGER IF EXISTS licensing_seat_tally_insert ON licensing_seat;
DROP TRIGGER IF EXISTS licensing_seat_tally_update ON licensing_seat;
DROP TRIGGER IF EXISTS licensing_seat_tally_delete ON licensing_seat;
DROP FUNCTION IF EXISTS licensing_active_seat_tally();
"""


def _create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_function_sql(settings.TIME_ZONE))


def _drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_DROP)


def _fk(to, *, null=False):
    return models.ForeignKey(
        blank=null,
        null=null,
        db_index=False,
        db_constraint=False,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0004_seatevent_contract_agency_cohort"),
    ]

    operations = [
        migrations.AlterField("seatevent", "contract", _fk("licensing.contract")),
        migrations.AlterField("seatevent", "agency", _fk("agencies.agency")),
        migrations.AddIndex(
            model_name="seatevent",
            index=models.Index(
                condition=models.Q(("from_status__in", ["active", "suspended"])),
                fields=["contract", "from_status"],
                include=("from_at", "at", "to_status", "agency", "cohort"),
                name="licensing_event_contract_left",
            ),
        ),
        migrations.CreateModel(
            name="ActiveSeatTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("contract_id", models.BigIntegerField()),
                ("agency_id", models.BigIntegerField()),
                ("cohort_id", models.BigIntegerField(blank=True, null=True)),
                ("since_day", models.DateField()),
                ("seats", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["contract_id", "since_day"],
                        include=("agency_id", "cohort_id", "seats"),
                        name="licensing_tally_contract_day",
                    )
                ],
            },
        ),
        migrations.RunPython(_create_triggers, _drop_triggers),
    ]
