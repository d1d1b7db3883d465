"""The shared plumbing's home. `Job` moves here from `rollout` without touching its table (state
only: the table keeps its name, `rollout_job`); `Event`, the outbox, is new."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("rollout", "0003_wave_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Job",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("cohort_activation", "Cohort activation"), ("roster_import", "Roster import"), ("usage_import", "Usage import"), ("reclaim", "Idle-seat reclamation"), ("export", "Export")], max_length=32)),
                        ("status", models.CharField(choices=[("queued", "Queued"), ("running", "Running"), ("succeeded", "Succeeded"), ("failed", "Failed")], default="queued", max_length=20)),
                        ("subject", models.CharField(blank=True, help_text="What the job works on.", max_length=200)),
                        ("dry_run", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("queued_at", models.DateTimeField(default=django.utils.timezone.now, help_text="When the job was last handed to the workers.")),
                        ("requeued", models.PositiveSmallIntegerField(default=0, help_text="How often beat's sweeper queued it again after it stalled.")),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("done", models.PositiveIntegerField(default=0)),
                        ("total", models.PositiveIntegerField(default=0)),
                        ("outcome", models.JSONField(blank=True, default=dict)),
                        ("errors", models.JSONField(blank=True, default=list)),
                        ("cohort", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="jobs", to="rollout.cohort")),
                        ("requested_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "rollout_job", "ordering": ["-created_at"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="Event",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("type", models.CharField(db_index=True, max_length=64)),
                ("subject", models.CharField(help_text='What it is about, e.g. "seat:42".', max_length=100)),
                ("payload", models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                ("agency_ids", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("dispatched_at", models.DateTimeField(blank=True, null=True)),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["id"],
                "indexes": [
                    models.Index(condition=models.Q(("dispatched_at__isnull", True)), fields=["id"], name="core_event_undispatched"),
                    models.Index(fields=["type", "id"], name="core_event_type_id"),
                ],
            },
        ),
    ]
