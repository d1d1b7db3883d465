"""Settings are chosen by the environment alone (the embedded default, docs/operations.md).

Each case imports a settings module in a fresh interpreter with an environment built from scratch,
so what the test process itself was started with (CI's DATABASE_URL, a developer's exports)
cannot leak into the answer.
"""

import functools
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Every variable the settings read; each case starts with none of them set.
SETTINGS_ENV_VARS = (
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "CELERY_BROKER_URL",
    "COST_RECOMPUTE_DELAY",
    "LOG_LEVEL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
)

PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "time_zone": settings.TIME_ZONE,
    "use_tz": settings.USE_TZ,
    "debug": settings.DEBUG,
}))
"""


def _env(module: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV_VARS}
    env["DJANGO_SETTINGS_MODULE"] = module
    env.update(overrides)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings(module: str, **overrides: str) -> dict:
    return dict(_loaded_settings(module, tuple(sorted(overrides.items()))))


@functools.cache
def _loaded_settings(module: str, overrides: tuple[tuple[str, str], ...]) -> tuple:
    # One interpreter start per distinct environment: several tests ask about the same one.
    result = _run(["-c", PRINT_SETTINGS], _env(module, **dict(overrides)))
    assert result.returncode == 0, result.stderr
    return tuple(json.loads(result.stdout.strip().splitlines()[-1]).items())


# A key that passes production's rule and `check --deploy` (50+ random characters).
GOOD_SECRET_KEY = secrets.token_urlsafe(48)
PRODUCTION_OVERRIDES = {"SECRET_KEY": GOOD_SECRET_KEY, "ALLOWED_HOSTS": "example.org"}


def _production_env() -> dict[str, str]:
    return _env("config.settings.production", **PRODUCTION_OVERRIDES)


def test_local_settings__no_database_url__use_sqlite():
    # Given no DATABASE_URL / When local settings load / Then the embedded SQLite file is used
    assert _settings("config.settings.local")["engine"] == "django.db.backends.sqlite3"


def test_local_settings__postgres_database_url__use_postgresql():
    loaded = _settings("config.settings.local", DATABASE_URL="postgres://u@127.0.0.1:5432/x")

    assert loaded["engine"] == "django.db.backends.postgresql"


def test_local_settings__no_broker_url__run_tasks_eagerly():
    assert _settings("config.settings.local")["eager"] is True


def test_local_settings__no_broker_url__a_queued_task_runs_inline_and_names_no_broker():
    # Given the embedded default (no CELERY_BROKER_URL)
    code = (
        "import django; django.setup()\n"
        "from config.celery import app\n"
        "ran = []\n"
        "@app.task(name='settings_probe', shared=False)\n"
        "def probe():\n"
        "    ran.append(1)\n"
        "probe.apply_async(countdown=0)\n"
        "print(ran, app.connection_for_write().transport_cls)\n"
    )

    # When a task is queued
    result = _run(["-c", code], _env("config.settings.local"))

    # Then it ran in-process, with no word of a broker connection, and none is configured that
    # a local RabbitMQ could answer
    assert result.returncode == 0, result.stderr
    assert "No hostname was supplied" not in result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[1] memory"


def test_local_settings__broker_url__send_tasks_to_the_broker():
    loaded = _settings("config.settings.local", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")

    assert loaded["eager"] is False


def test_local_settings__no_redis_url__use_local_memory_cache():
    loaded = _settings("config.settings.local")

    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_local_settings__redis_url__use_redis_cache():
    loaded = _settings("config.settings.local", REDIS_URL="redis://127.0.0.1:6379/1")

    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["cache_location"] == "redis://127.0.0.1:6379/1"


def test_local_settings__no_debug_variable__debug_on():
    assert _settings("config.settings.local")["debug"] is True


@pytest.mark.parametrize(
    "module", ["config.settings.local", "config.settings.test", "config.settings.production"]
)
def test_time_zone__any_settings_module__new_york_and_aware(module):
    # Billing days are calendar days in the contract's time zone (docs/cost-engine.md).
    overrides = PRODUCTION_OVERRIDES if module.endswith("production") else {}
    loaded = _settings(module, **overrides)

    assert loaded["time_zone"] == "America/New_York"
    assert loaded["use_tz"] is True


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "insecure-local-only-key-do-not-use-in-production", "too-short-a-key"],
    ids=["unset", "empty", "local-default", "short"],
)
def test_production_settings__missing_or_weak_secret_key__refuse_to_load(secret_key):
    overrides = {"ALLOWED_HOSTS": "example.org"}
    if secret_key is not None:
        overrides["SECRET_KEY"] = secret_key

    result = _run(["-c", PRINT_SETTINGS], _env("config.settings.production", **overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_settings__no_allowed_hosts__refuse_to_load():
    env = _production_env()
    del env["ALLOWED_HOSTS"]

    result = _run(["-c", PRINT_SETTINGS], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_settings__good_key_and_hosts__pass_check_deploy():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
