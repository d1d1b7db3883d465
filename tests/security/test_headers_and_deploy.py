"""Production settings: `check --deploy` is clean, secrets come only from the environment, and
every answer carries strict security headers and the CSP (django-csp, config/settings/base.py).

Production settings cannot be loaded inside the test process (it runs the test settings), so
one fresh interpreter loads them, asks a few URLs through Django's test client and prints the
headers; the tests read that."""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json
import django
django.setup()
from django.test import Client
from django.test.utils import override_settings
from django.conf import settings

out = {"settings": {
    "DEBUG": settings.DEBUG,
    "SECRET_KEY_from_env": settings.SECRET_KEY == __import__("os").environ["SECRET_KEY"],
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
}}
client = Client(raise_request_exception=False)
# No collectstatic in a test: the admin page reads plain static storage here.
plain = dict(settings.STORAGES, staticfiles={
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"})
with override_settings(STORAGES=plain):
    for name, path, secure in [
        ("health", "/api/v1/health", True),
        ("api_401", "/api/v1/seats/", True),
        ("admin_login", "/admin/login/", True),
        ("not_found_page", "/no-such-page/", True),
        ("http_page", "/admin/login/", False),
        ("http_health", "/api/v1/health", False),
    ]:
        r = client.get(path, secure=secure)
        out[name] = {
            "status": r.status_code,
            "headers": {k.lower(): v for k, v in r.headers.items()},
            "cookies": {k: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]),
                            "samesite": m["samesite"]} for k, m in r.cookies.items()},
        }
print(json.dumps(out))
"""


def _production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "SECURE_", "SESSION_"))
        and k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="testserver,seatplan.example.org",
        DATABASE_URL="sqlite:///:memory:",
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@functools.cache
def _probe() -> dict:
    result = _run(["-c", PROBE], _production_env())
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def probe() -> dict:
    return _probe()


def test_check_deploy__full_production_environment__no_issue():
    # Given the environment the stack and the containers run with (PostgreSQL, Redis, broker)
    env = _production_env(
        DATABASE_URL="postgres://seatplan@127.0.0.1:5432/seatplan",
        REDIS_URL="redis://127.0.0.1:6379/1",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        SECRET_KEY_FALLBACKS=secrets.token_urlsafe(64),
    )

    # When the deployment checklist runs
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    # Then it is clean
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production__secret_key__comes_from_the_environment(probe):
    assert probe["settings"]["SECRET_KEY_from_env"] is True
    assert probe["settings"]["DEBUG"] is False


def test_settings_files__no_secret_written_in_them():
    # A literal secret or password in a settings file, compose file or Dockerfile is a leak.
    suspicious = re.compile(
        r"(SECRET_KEY|PASSWORD|API_KEY)\s*[:=]\s*['\"][^'\"]{8,}['\"]|://[^/\s:@'\"]+:[^@\s'\"]+@"
    )
    # docker-compose.yml is left out: its PostgreSQL password is the local container's own,
    # never published (docs/security.md); its SECRET_KEY has no default.
    files = [*sorted((REPO_ROOT / "config" / "settings").glob("*.py"))]
    files += [p for p in (REPO_ROOT / "Dockerfile",) if p.exists()]
    hits = []
    for path in files:
        for line in path.read_text().splitlines():
            if suspicious.search(line) and "insecure-local-only" not in line:
                hits.append(f"{path.name}: {line.strip()}")
    assert hits == []


@pytest.mark.parametrize("page", ["health", "api_401", "admin_login", "not_found_page"])
def test_headers__any_answer__strict_security_headers(probe, page):
    headers = probe[page]["headers"]

    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"


@pytest.mark.parametrize("page", ["admin_login", "not_found_page", "api_401"])
def test_csp__pages_and_api__self_only_no_inline_script_no_framing(probe, page):
    csp = probe[page]["headers"].get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}

    assert directives.get("default-src") == ["'self'"]
    assert "'unsafe-inline'" not in directives.get("script-src", ["'unsafe-inline'"])
    assert "'unsafe-eval'" not in " ".join(directives.get("script-src", []))
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("object-src") == ["'none'"]


def test_cookies__admin_login__secure_httponly_samesite(probe):
    cookie = probe["admin_login"]["cookies"]["csrftoken"]

    assert cookie == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert probe["settings"]["SESSION_COOKIE_SECURE"] is True
    assert probe["settings"]["SESSION_COOKIE_HTTPONLY"] is True


def test_plain_http__page__redirected_to_https_but_health_answers(probe):
    assert probe["http_page"]["status"] == 301
    assert probe["http_page"]["headers"]["location"].startswith("https://")
    assert probe["http_health"]["status"] == 200
