"""The real peers the notification tests talk to, each on 127.0.0.1 and a port the system
chooses: an SMTP server (aiosmtpd) that keeps every message it accepts, and an HTTP receiver
that verifies every webhook's signature with the `standardwebhooks` library, as a receiver in
another system would, and deduplicates on `webhook-id`."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.smtp import SMTP
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class SmtpServer:
    """A real SMTP server on 127.0.0.1:<free port>, in a thread; `messages` are the parsed
    mails it accepted, `refuse` makes it answer 451 (try again later) to every message."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        if self.refuse:
            return "451 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def start(self) -> SmtpServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            self._loop.create_server(lambda: SMTP(self, hostname="127.0.0.1"), sock=self._sock),
            self._loop,
        )
        self._server = future.result(timeout=10)
        return self

    def stop(self) -> None:
        async def close():
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        return list(self.messages)


@dataclass
class Received:
    """One request the receiver got: headers, raw body, and what verification said."""

    headers: dict[str, str]
    body: bytes
    verified: bool
    document: dict | None
    host: str
    at: float


@dataclass
class WebhookReceiver:
    """A real HTTP server on 127.0.0.1:<free port> receiving webhooks. Each request is verified
    with the endpoint's secret (`secret` is set once the endpoint is registered); `status` is
    what it answers (a callable of the request number may decide instead); `hold(n)` true makes
    it wait before answering request n until `release` is set, `holding` telling the test that
    a request is held (a worker can be killed meanwhile)."""

    secret: str | None = None
    status: int | object = 204
    requests: list[Received] = field(default_factory=list)
    hold: object = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, document = False, None
                if receiver.secret:
                    try:
                        document = Webhook(receiver.secret).verify(body, headers)
                        verified = True
                    except WebhookVerificationError:
                        verified = False
                with receiver._lock:
                    number = len(receiver.requests) + 1
                    receiver.requests.append(
                        Received(
                            headers,
                            body,
                            verified,
                            document,
                            headers.get("host", ""),
                            time.monotonic(),
                        )
                    )
                if receiver.hold is not None and receiver.hold(number):
                    receiver.holding.set()
                    receiver.release.wait(timeout=120)
                status = receiver.status(number) if callable(receiver.status) else receiver.status
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone (a killed worker): the request was still received

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/seatplan"

    def verified(self) -> list[Received]:
        return [r for r in self.requests if r.verified]

    def processed(self) -> dict[str, dict]:
        """What a receiver that deduplicates on webhook-id processes: one document per id."""
        out: dict[str, dict] = {}
        for request in self.verified():
            out.setdefault(request.headers["webhook-id"], request.document)
        return out

    def types(self) -> list[str]:
        return [json.loads(r.body)["type"] for r in self.verified()]
