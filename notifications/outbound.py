"""The one place Seatplan opens a connection to a URL someone typed: webhook delivery.

A webhook URL is chosen by a user, so it is a server-side request forgery risk: pointed at
`http://169.254.169.254/…` (cloud metadata), `http://localhost:5432`, or an internal admin page,
it would make Seatplan's workers fetch what the user cannot reach. The defence (docs/security.md):

1. Only `http` and `https`, a host name, no user name or password in the URL.
2. The host is resolved, and **every** address it resolves to must be public: loopback,
   private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses are
   refused, and so are IPv4 addresses hidden in IPv6 (`::ffff:10.0.0.1`, NAT64 `64:ff9b::…`).
   Cloud metadata addresses are refused always, even when `WEBHOOK_ALLOW_PRIVATE=true` lets
   private addresses through (for development and tests on one machine).
3. The check runs when the URL is saved and again at every delivery, and the delivery connects
   to the very address it checked (the URL's host goes in the `Host` header and, for HTTPS, in
   the TLS server name, so the certificate is still verified against the host name). A DNS
   answer that changes between the check and the connection (DNS rebinding) cannot swap in
   another address.
4. Redirects are not followed (a 3xx is a failed delivery), proxies from the environment are
   ignored, the answer's body is never read, and every attempt has a timeout.

`tests/security/test_outbound.py` allows an HTTP client or `socket` in this module only.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services answer credentials to whoever asks from inside the cloud: AWS, GCP,
# Azure and OpenStack (169.254.169.254), AWS ECS task metadata (169.254.170.2), AWS over IPv6,
# Alibaba (100.100.100.200), Azure's wire server (168.63.129.16, a public address).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "fd00:ec2::254",
        "100.100.100.200",
        "168.63.129.16",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
USER_AGENT = "Seatplan-Webhooks/1.0"


class UrlRefused(Exception):
    """The URL may not be delivered to; the message says why, in a sentence for its owner."""


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped or NAT64), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a connection to `address` is refused, or None when it is allowed."""
    address = _embedded_ipv4(address)
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if allow_private:
        return None
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return f"{address} is not a unicast address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`, `port`) and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str
    address: IPAddress

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"The URL is malformed ({exc}).") from exc
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise UrlRefused("The URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused(
            "Put no user name or password in the URL: receivers verify the signature instead."
        )
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port, path


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host name resolves to (an address literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"The host name {host} could not be resolved.") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UrlRefused(f"The host name {host} resolves to no address.")
    return addresses


def url_check(url: str, *, allow_private: bool) -> Target:
    """Check a webhook URL now: its form, and every address its host resolves to. Returns where
    to connect; raises `UrlRefused` with the reason."""
    scheme, host, port, path = _split(url)
    addresses = resolve(host, port)
    for address in addresses:
        refusal = address_refusal(address, allow_private=allow_private)
        if refusal:
            raise UrlRefused(f"{host} resolves to {refusal}; webhooks go to public addresses only.")
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings every delivery uses, built once per process (building them costs tens of
    milliseconds): certifi's authorities, or those named by `SSL_CERT_FILE` / `SSL_CERT_DIR`
    (a state's own CA), certificates and host names verified."""
    return httpx.create_ssl_context(trust_env=True)


@dataclass(frozen=True)
class PostResult:
    """What one attempt came to: the HTTP status (None when no answer came) and, when it
    failed, why, in words for the endpoint's owner."""

    status_code: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


def webhook_post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> PostResult:
    """POST `body` to `url`, checked now and connected to the address checked. Never raises for
    a network failure or a refusal: the result says what happened."""
    try:
        target = url_check(url, allow_private=allow_private)
    except UrlRefused as exc:
        return PostResult(None, f"Refused: {exc}")
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    request_headers = {
        **headers,
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
    }
    try:
        with (
            httpx.Client(
                timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls()
            ) as client,
            client.stream(
                "POST",
                target.pinned_url,
                content=body,
                headers=request_headers,
                extensions=extensions,
            ) as response,
        ):
            status = response.status_code
    except httpx.TimeoutException:
        return PostResult(None, f"No answer within {timeout:g} s.")
    except httpx.HTTPError as exc:
        return PostResult(None, f"Connection failed: {type(exc).__name__}: {exc}"[:500])
    if 200 <= status < 300:
        return PostResult(status)
    if 300 <= status < 400:
        return PostResult(status, f"HTTP {status}: redirects are not followed.")
    return PostResult(status, f"HTTP {status}.")
