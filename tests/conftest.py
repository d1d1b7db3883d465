"""Shared fixtures and the markers that say which tests need the real stack."""

import pytest
from django.conf import settings
from django.db import connection


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    with_broker = bool(settings.CELERY_BROKER_URL)
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL (row locks, real concurrency, the active-seat tally's triggers); "
        "set DATABASE_URL=postgres://…"
    )
    skip_broker = pytest.mark.skip(
        reason="needs Redis and a live Celery worker; set CELERY_BROKER_URL and REDIS_URL"
    )
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "broker" in item.keywords and not with_broker:
            item.add_marker(skip_broker)


@pytest.fixture(autouse=True)
def _clear_cache():
    """The cache holds coalescing keys; a key left by one test must not swallow another's job."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _eager_unless_broker(request, settings):
    """With CELERY_BROKER_URL set (CI's PostgreSQL run) only the `broker` tests talk to the
    worker; every other test keeps running its jobs inline, as it does on the embedded default."""
    from config.celery import app

    if "broker" in request.keywords:
        # Whatever an earlier test's teardown left behind, a broker test talks to the worker.
        settings.CELERY_TASK_ALWAYS_EAGER = False
        app.conf.task_always_eager = False
        yield
        return

    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
