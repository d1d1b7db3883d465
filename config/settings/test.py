"""The test suite: SQLite and eager tasks by default; CI sets DATABASE_URL, REDIS_URL and
CELERY_BROKER_URL to run the same suite against PostgreSQL, Redis and a real worker."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
