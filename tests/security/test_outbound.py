"""OWASP API7 (SSRF) and API10 (unsafe consumption): Seatplan's code opens outbound
connections only from the modules listed in `OUTBOUND_ALLOWED`, each of which checks where it
connects (docs/security.md), and the broker accepts only JSON messages (never pickle), so a
forged message cannot run code in the worker."""

from __future__ import annotations

import ast
from pathlib import Path

from config.celery import app

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = ("agencies", "rollout", "licensing", "config", "core", "notifications")
OUTBOUND = {"urllib.request", "http.client", "requests", "httpx", "urllib3", "aiohttp", "socket"}
# The one module per capability that may connect out, and what it may import for it. Webhook
# delivery resolves a user's URL, refuses private and metadata addresses, and connects to the
# address it checked (notifications/outbound.py; docs/security.md, "Webhooks and SSRF").
OUTBOUND_ALLOWED = {"notifications/outbound.py": {"httpx", "socket"}}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_application_code__outbound_clients_only_in_the_allowed_modules():
    offenders = {}
    for app_dir in APPS:
        for path in (REPO_ROOT / app_dir).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = path.relative_to(REPO_ROOT).as_posix()
            found = _imports(path) & OUTBOUND
            extra = found - OUTBOUND_ALLOWED.get(name, set())
            if extra:
                offenders[name] = sorted(extra)
    assert offenders == {}


def test_application_code__allowed_modules_exist():
    # An entry for a module that moved would silently allow nothing, or the wrong file
    for name in OUTBOUND_ALLOWED:
        assert (REPO_ROOT / name).is_file(), name


def test_celery__messages__json_only():
    assert app.conf.task_serializer == "json"
    assert set(app.conf.accept_content) == {"json"}
