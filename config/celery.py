"""The Celery application: broker, queues and the beat schedule come from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("seatplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
