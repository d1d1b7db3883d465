"""Seat events carry their seat's contract, agency and cohort, so billing reads one contract's
events from one index without joining the seats. Filled here from the seats for existing rows."""

import django.db.models.deletion
from django.db import migrations, models

_BACKFILL = """
UPDATE licensing_seatevent SET
    contract_id = (SELECT s.contract_id FROM licensing_seat s WHERE s.id = licensing_seatevent.seat_id),
    agency_id = (SELECT s.agency_id FROM licensing_seat s WHERE s.id = licensing_seatevent.seat_id),
    cohort_id = (SELECT s.cohort_id FROM licensing_seat s WHERE s.id = licensing_seatevent.seat_id)
"""


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
        ("agencies", "0001_initial"),
        ("licensing", "0003_seat_intervals"),
        ("rollout", "0001_initial"),
    ]

    operations = [
        migrations.AddField("seatevent", "contract", _fk("licensing.contract", null=True)),
        migrations.AddField("seatevent", "agency", _fk("agencies.agency", null=True)),
        migrations.AddField("seatevent", "cohort", _fk("rollout.cohort", null=True)),
        migrations.RunSQL(_BACKFILL, migrations.RunSQL.noop),
        migrations.RemoveIndex("seatevent", "licensing_event_left_active"),
    ]
