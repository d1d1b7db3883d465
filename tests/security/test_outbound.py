"""OWASP API7 (SSRF) and API10 (unsafe consumption): Seatplan's code never fetches a URL a
client could choose, and the broker accepts only JSON messages (never pickle), so a forged
message cannot run code in the worker.

Outbound HTTP lives in named modules only, each reviewed for where it may connect
(docs/security.md, API7): `OUTBOUND_MODULES` lists them with the one client each may import;
every other module of the application imports none."""

from __future__ import annotations

import ast
from pathlib import Path

from config.celery import app

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "agencies", "rollout", "licensing", "vendor", "notifications", "config", "identity")
OUTBOUND = {
    "urllib.request",
    "http.client",
    "requests",
    "httpx",
    "httpx2",
    "urllib3",
    "aiohttp",
    "socket",
    "scim2_client.engines.httpx2",
    "scim2_client.engines.werkzeug",
}
# The modules allowed to talk to the outside, and what each may import for it.
OUTBOUND_MODULES = {
    # The vendor's SCIM 2.0 API, at the base URL staff set (admin) or the environment's.
    "vendor/scim.py": {"httpx"},
    # Webhook delivery: resolves a user's URL, refuses private and metadata addresses, and
    # connects to the address it checked (docs/security.md, "Webhooks and SSRF").
    "notifications/outbound.py": {"httpx", "socket"},
    # The OpenID provider's discovery document and keys, from the issuer the environment names
    # (docs/security.md, API7; docs/identity.md).
    "identity/oidc/discovery.py": {"requests"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _outbound_imports() -> dict[str, set[str]]:
    found = {}
    for app_dir in APPS:
        for path in (REPO_ROOT / app_dir).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            names = {
                name
                for name in _imports(path)
                if name in OUTBOUND or name.split(".")[0] in OUTBOUND
            }
            if names:
                found[path.relative_to(REPO_ROOT).as_posix()] = names
    return found


def test_application_code__outbound_http_client__only_in_the_named_modules():
    # Given every module of the application
    found = _outbound_imports()

    # Then only the named outbound modules import an HTTP client, each only its own
    offenders = {
        path: sorted(names - OUTBOUND_MODULES.get(path, set())) for path, names in found.items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_outbound_modules__each_still_exists_and_uses_its_client():
    # A module dropped from the code must be dropped from the list, so the list stays the truth
    found = _outbound_imports()
    for path, allowed in OUTBOUND_MODULES.items():
        assert (REPO_ROOT / path).exists(), path
        assert found.get(path, set()) == allowed, path


def test_vendor_client__redirects_not_followed_and_plain_http_only_to_loopback():
    # Given the vendor's SCIM client
    from vendor.scim import Directory, VendorRefused

    # Then it refuses a base URL that would send the token in clear to another host
    for url in ("http://vendor.example/scim/v2", "ftp://vendor.example/", "https://u:p@h/"):
        try:
            Directory(base_url=url, token="t", timeout=1)
        except VendorRefused:
            continue
        raise AssertionError(f"{url} was accepted")
    # And over https it never follows a redirect (the token stays with the vendor's host)
    directory = Directory(base_url="https://vendor.example/scim/v2", token="t", timeout=1)
    try:
        assert directory._http.follow_redirects is False
        assert directory._http.base_url.host == "vendor.example"
    finally:
        directory.close()


def test_celery__messages__json_only():
    assert app.conf.task_serializer == "json"
    assert set(app.conf.accept_content) == {"json"}
