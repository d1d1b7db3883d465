"""OWASP API7 (SSRF) and API10 (unsafe consumption): Seatplan's code never fetches a URL a
client could choose, and the broker accepts only JSON messages (never pickle), so a forged
message cannot run code in the worker. The one module allowed an HTTP client fetches the
identity provider's discovery document and keys from the issuer the environment names
(identity/oidc/discovery.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from config.celery import app

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = ("agencies", "rollout", "licensing", "config", "identity")
# What may fetch, and why: the OpenID provider's configuration and keys, from OIDC_ISSUER only.
ALLOWED = {"identity/oidc/discovery.py": ["requests"]}
OUTBOUND = {"urllib.request", "http.client", "requests", "httpx", "urllib3", "aiohttp", "socket"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_application_code__no_outbound_http_client_imported():
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(_imports(path) & OUTBOUND)
        for app_dir in APPS
        for path in (REPO_ROOT / app_dir).rglob("*.py")
        if "migrations" not in path.parts and _imports(path) & OUTBOUND
    }
    assert offenders == ALLOWED


def test_celery__messages__json_only():
    assert app.conf.task_serializer == "json"
    assert set(app.conf.accept_content) == {"json"}
