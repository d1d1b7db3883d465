"""The error pages under every settings module: with DEBUG off, a signed-in user's 404, 403 and
500 are the site's own pages, with the header, the menu their roles allow, the logout button
and a stylesheet that is actually served (WhiteNoise: from the source tree under local and test
settings, the collected and hashed file under production), never Django's technical page.

A settings module cannot be swapped inside the test process, so for each one a fresh
interpreter loads it, migrates an in-memory database, signs two users in through Django's test
client and prints what it got; the tests read that. Only `ROOT_URLCONF` is overridden, to add
one failing view (tests/web/failing_urls.py)."""

from __future__ import annotations

import functools
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, os, re
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

call_command("migrate", verbosity=0)
if os.environ.get("PROBE_COLLECTSTATIC"):
    # Only the site's own files: the pages reference nothing else.
    call_command("collectstatic", verbosity=0, interactive=False,
                 ignore_patterns=["admin", "rest_framework", "drf_spectacular_sidecar",
                                  "import_export"])
users = get_user_model().objects
finance = users.create_user("finance.probe", password="unused-probe-password")
finance.groups.add(Group.objects.create(name="finance"))
nobody = users.create_user("nobody.probe", password="unused-probe-password")

def page(client, path):
    response = client.get(path, secure=True)
    html = response.content.decode()
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    return {"status": response.status_code, "html": html, "css": css.group(1) if css else None}

out = {"DEBUG": settings.DEBUG}
with override_settings(ROOT_URLCONF="tests.web.failing_urls"):
    client = Client(raise_request_exception=False)
    client.force_login(finance)
    out["404"] = page(client, "/no-such-page/")
    out["500"] = page(client, "/boom/")
    sheet = client.get(out["404"]["css"], secure=True)
    body = b"".join(sheet.streaming_content) if sheet.streaming else sheet.content
    out["css"] = {"status": sheet.status_code, "type": sheet.headers.get("Content-Type", ""),
                  "body": body[:400].decode()}
    client.force_login(nobody)
    out["403"] = page(client, "/seats/")
print(json.dumps(out))
"""

MODULES = ("local", "test", "production")


def _env(module: str, static_root: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "SECURE_", "SESSION_", "PROBE_"))
        and k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=f"config.settings.{module}",
        DATABASE_URL="sqlite:///:memory:",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
    )
    if module == "production":
        env.update(
            SECRET_KEY=secrets.token_urlsafe(64),
            STATIC_ROOT=str(static_root),
            PROBE_COLLECTSTATIC="1",
        )
    return env


@functools.cache
def _probe(module: str, static_root: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO_ROOT,
        env=_env(module, Path(static_root)),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=MODULES)
def probe(request, tmp_path_factory) -> tuple[str, dict]:
    static_root = tmp_path_factory.mktemp(f"static-{request.param}")
    return request.param, _probe(request.param, str(static_root))


def test_not_found__signed_in_without_debug__styled_404_with_menu_and_logout(probe):
    # Given a finance user signed in under the module, with DEBUG off
    module, got = probe
    assert got["DEBUG"] is False, module

    # When they open an address that does not exist
    page = got["404"]

    # Then they get the site's 404, not Django's technical page, with their menu and logout
    assert page["status"] == 404, module
    assert "<h1>Page not found</h1>" in page["html"], module
    assert "Using the URLconf" not in page["html"] and "Technical" not in page["html"], module
    assert 'action="/accounts/logout/"' in page["html"], module
    assert 'href="/finance/"' in page["html"], module


def test_error_pages__every_module__stylesheet_linked_and_served(probe):
    # Given the 404 page's stylesheet link under the module
    module, got = probe
    href = got["404"]["css"]

    # Then it is the site's stylesheet (hashed under production), served as CSS
    assert href.startswith("/static/seatplan/site."), (module, href)
    if module == "production":
        assert href != "/static/seatplan/site.css", "production serves hashed names"
    assert got["css"]["status"] == 200, (module, got["css"])
    assert got["css"]["type"].startswith("text/css"), (module, got["css"])
    assert ":root" in got["css"]["body"], module


def test_server_error__every_module__styled_500_without_detail(probe):
    # When a page fails with a bug
    module, got = probe
    page = got["500"]

    # Then the 500 page is the site's, linked to the same stylesheet, naming nothing of the bug
    assert page["status"] == 500, module
    assert "Something went wrong" in page["html"], module
    assert page["css"] == got["404"]["css"], module
    assert "plain bug" not in page["html"] and "Traceback" not in page["html"], module


def test_forbidden__no_role_user__403_says_an_administrator_must_grant_a_role(probe):
    # Given an account without a role, when it opens a page
    module, got = probe
    page = got["403"]

    # Then the 403 explains, and offers the logout button
    assert page["status"] == 403, module
    assert "An administrator must grant your account a role" in page["html"], module
    assert 'action="/accounts/logout/"' in page["html"], module
    assert page["css"] == got["404"]["css"], module
