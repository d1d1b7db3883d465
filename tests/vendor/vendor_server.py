"""The vendor, played by the real scim2-server (its in-memory SCIM 2.0 application and bearer-token
check), served over HTTP on 127.0.0.1 on a port chosen at run time.

Between the socket and scim2-server sits `Gate`, a small WSGI layer of our own that plays what
scim2-server cannot: it answers `429 Too Many Requests` with a `Retry-After` when told to; it can
stop the whole server right after the nth user it created (an outage in the middle of a cohort);
it can lose the answer to a create the server carried out (a proxy's 502 after the fact); and it
can hide users from the next searches (a vendor whose search index lags its writes).
It also records every request (method, path, status), so a test can count what reached the vendor.

`stop()` closes the listening socket (connections are refused, as from a dead host) and
`start()` opens it again on the same port with the same storage: the vendor restarts with its
data, as a real one would.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, make_server

from scim2_models import EnterpriseUser, Name, ScimProvider, User
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.testserver.cli import ThreadingWSGIServer
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    status: int


class Gate:
    """WSGI middleware in front of scim2-server (module docstring)."""

    def __init__(self, app, server: VendorServer):
        self.app = app
        self.server = server
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.throttle: list[str] = []  # Retry-After values of the next 429s to answer
        self.stop_after_creates: int | None = None
        self.lose_create_answers = 0  # the next n creates are carried out, then answered 502
        self.hide_searches = 0  # the next n searches find nobody
        self.refuse: dict[str, str] = {}  # userName → the vendor's 400 detail for its create
        self.creates = 0

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        with self.lock:
            retry_after = self.throttle.pop(0) if self.throttle else None
        if retry_after is not None:
            self._saw(method, path, 429)
            body = json.dumps(
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": "429",
                    "detail": "Too many requests",
                }
            ).encode()
            start_response(
                "429 Too Many Requests",
                [("Content-Type", "application/scim+json"), ("Retry-After", retry_after)],
            )
            return [body]

        if (
            method == "GET"
            and path.endswith("/Users")
            and "filter" in environ.get("QUERY_STRING", "")
        ):
            with self.lock:
                hide = self.hide_searches > 0
                self.hide_searches -= hide
            if hide:
                self._saw(method, path, 200)
                body = json.dumps(
                    {
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                        "totalResults": 0,
                        "Resources": [],
                        "startIndex": 1,
                        "itemsPerPage": 0,
                    }
                ).encode()
                start_response("200 OK", [("Content-Type", "application/scim+json")])
                return [body]

        status_seen = []

        def recording_start_response(status, headers, exc_info=None):
            status_seen.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        created = method == "POST" and path.endswith("/Users")
        if created and self.refuse:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(size)
            environ["wsgi.input"] = io.BytesIO(raw)
            detail = self.refuse.get(json.loads(raw or b"{}").get("userName", ""))
            if detail:
                self._saw(method, path, 400)
                return _scim_error(start_response, "400 Bad Request", "invalidValue", detail)
        with self.lock:
            lose = created and self.lose_create_answers > 0
            self.lose_create_answers -= lose
        if lose:
            list(self.app(environ, lambda status, headers, exc_info=None: None))
            self._saw(method, path, 502)
            start_response("502 Bad Gateway", [("Content-Type", "text/html")])
            return [b"<html><body>Bad gateway</body></html>"]
        body = list(self.app(environ, recording_start_response))
        status = status_seen[0] if status_seen else 0
        self._saw(method, path, status)
        if created and status == 201:
            with self.lock:
                self.creates += 1
                limit = self.stop_after_creates
                stop = limit is not None and self.creates >= limit
                if stop:
                    self.stop_after_creates = None
            if stop:
                # From another thread: this one must still send the answer it is building.
                threading.Thread(target=self.server.stop, daemon=True).start()
        return body

    def stop_after(self, creates: int) -> None:
        """Stop the server right after it has created `creates` more users."""
        with self.lock:
            self.stop_after_creates = self.creates + creates

    def _saw(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.seen.append(Seen(method, path, status))


def _scim_error(start_response, status: str, scim_type: str, detail: str):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.split()[0],
        "scimType": scim_type,
        "detail": detail,
    }
    start_response(status, [("Content-Type", "application/scim+json")])
    return [json.dumps(body).encode()]


class VendorServer:
    """scim2-server over HTTP on 127.0.0.1, behind a bearer token, with a `Gate` in front."""

    def __init__(self, token: str | None = None):
        self.token = token or secrets.token_urlsafe(24)
        config = load_default_service_provider_config()
        schemes = config.authentication_schemes or []
        config.authentication_schemes = [*schemes, BEARER_TOKEN_SCHEME]
        provider = ScimProvider.from_discovery(
            load_default_schemas().values(), load_default_resource_types().values(), config=config
        )
        self.provider = provider
        self.storage = InMemoryStorage()
        scim = BearerTokenApplication(
            self.storage,
            provider,
            service=ScimService(provider, secret=secrets.token_urlsafe(32)),
            bearer_tokens=[self.token],
        )
        self.gate = Gate(scim, self)
        self.port = 0
        self._httpd = None
        self._thread = None
        self._stopping = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self) -> VendorServer:
        self._httpd = make_server(
            "127.0.0.1",
            self.port,
            self.gate,
            server_class=ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.port = self._httpd.server_port
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._stopping:
            httpd, self._httpd = self._httpd, None
            if httpd is None:
                return
            httpd.shutdown()
            httpd.server_close()

    # --- the vendor's side, read and written directly (behind Seatplan's back) -----------------

    def users(self) -> list:
        return [r for r in self.storage.resources if r.meta.resource_type == "User"]

    def user(self, user_name: str):
        found = [u for u in self.users() if u.user_name == user_name]
        assert len(found) <= 1, f"{len(found)} users named {user_name}"
        return found[0] if found else None

    def add_user(self, user_name: str, *, external_id: str | None = None, active: bool = True):
        """A member added by hand in the vendor's console."""
        user = User[EnterpriseUser](
            user_name=user_name,
            external_id=external_id,
            active=active,
            name=Name(given_name="Hand", family_name="Added"),
        )
        return self.storage.create(_user_resource_type(self.provider), user)

    def requests(self, method: str | None = None, status: int | None = None) -> list[Seen]:
        with self.gate.lock:
            seen = list(self.gate.seen)
        return [
            s
            for s in seen
            if (method is None or s.method == method) and (status is None or s.status == status)
        ]


def _user_resource_type(provider):
    for resource_type in provider.resource_types:
        if resource_type.name == "User":
            return resource_type
    raise LookupError("the provider serves no User resource type")
