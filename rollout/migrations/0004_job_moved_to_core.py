"""`Job` now lives in `core` (same table): drop it from this app's state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0003_wave_events"),
        ("licensing", "0006_seatevent_job_in_core"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Job")],
            database_operations=[],
        ),
    ]
