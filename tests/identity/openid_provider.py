"""A real OpenID provider for the tests: `oidc-provider` (Node, OpenID Certified) run by
tests/identity/oidc_provider/server.mjs on 127.0.0.1 on a free port.

Its packages are installed with `npm ci` (the committed package-lock.json) into the git-ignored
tests/identity/oidc_provider/node_modules the first time a test needs them. Without `node` and
`npm`, or when the install cannot reach the registry, the tests that need the provider are
skipped and say why; the rest of the suite runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "oidc_provider"
INSTALLED = HERE / "node_modules" / "oidc-provider" / "package.json"
_install_lock = threading.Lock()


def require_node() -> None:
    """Skip the calling test unless node and the provider's packages are there (installing
    them once with `npm ci` when they are not)."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed to run the test OpenID provider (Node 20+)")
    with _install_lock:
        if INSTALLED.exists():
            return
        try:
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=HERE,
                check=True,
                timeout=300,
                capture_output=True,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"`npm ci` for the test OpenID provider failed: {exc}")


class OpenIdProvider:
    """One running provider: its `issuer`, its client's credentials, and `accounts`, which
    the provider reads afresh at every sign-in."""

    def __init__(self, *, redirect_uri: str, accounts_file: Path):
        require_node()
        self.client_id = "seatplan-tests"
        self.client_secret = "a-test-client-secret-of-some-length"
        self.accounts_file = accounts_file
        self.set_accounts({})
        env = {
            **os.environ,
            "OP_CLIENT": json.dumps(
                {
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "redirect_uris": [redirect_uri],
                }
            ),
            "OP_ACCOUNTS": str(accounts_file),
            "NODE_ENV": "test",
        }
        self.process = subprocess.Popen(
            ["node", "server.mjs"],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self._first_line(timeout=30)
        self.issuer = json.loads(line)["issuer"]

    def _first_line(self, timeout: float) -> str:
        found: list[str] = []
        reader = threading.Thread(target=lambda: found.append(self.process.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(timeout)
        if not found or not found[0].strip():
            self.stop()
            raise RuntimeError("the test OpenID provider did not start")
        return found[0]

    def set_accounts(self, accounts: dict[str, dict]) -> None:
        self.accounts_file.write_text(json.dumps(accounts))

    def settings(self, role_map: str = "") -> dict:
        """The Seatplan settings that point at this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_PROVIDER_NAME": "State Login (test)",
            "OIDC_ROLE_MAP": role_map,
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
