"""Seat events point at the job row in its new home (`core.Job`); the table and its key are
unchanged, so this is state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0005_active_seat_tally"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="seatevent",
                    name="job",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="seat_events", to="core.job"),
                ),
            ],
            database_operations=[],
        ),
    ]
