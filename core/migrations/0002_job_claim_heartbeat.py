"""A cohort activation's claim and heartbeat: a job whose whole worker died is found within
seconds (its heartbeat stops) instead of after the 35-minute stall rule."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='job',
            name='claimed_by',
            field=models.CharField(blank=True, help_text='The delivery (task id) running the job now; another one stays away while its heartbeat is fresh.', max_length=64),
        ),
        migrations.AddField(
            model_name='job',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, help_text='When the running job last said it is alive (every few seconds); a stale heartbeat means its worker died, and the sweeper queues it again.', null=True),
        ),
        migrations.AddIndex(
            model_name='job',
            index=models.Index(condition=models.Q(('status__in', ['queued', 'running'])), fields=['kind', 'status'], name='core_job_unfinished'),
        ),
    ]
