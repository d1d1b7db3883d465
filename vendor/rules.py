"""Pure rules of vendor provisioning: no database, no network, so they are tested exhaustively.

- what a seat's status asks of the vendor (`operation_for`);
- how long a seat waits after its nth failed try (`retry_delay`) and how long the circuit stays
  open after its nth opening in a row (`cooldown`);
- which vendor URLs Seatplan will send its bearer token to (`endpoint_problem`);
- how long a `429` asks us to wait (`retry_after_seconds`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from licensing.choices import SeatStatus

from .choices import Operation, RevokeAction

# A 429 without a usable Retry-After waits this long; a longer one is capped, so a vendor's
# mistake cannot park the queue for days.
DEFAULT_RETRY_AFTER = 30.0
MAX_RETRY_AFTER = 3600.0
LOOPBACK_NAMES = frozenset({"localhost"})


def operation_for(
    seat_status: str, *, revoke_action: str, person_has_other_live_seat: bool = False
) -> str:
    """What the vendor must hold for a seat in `seat_status`.

    Active: the user exists and is active. Suspended: the user is deactivated. Revoked: the
    user is deleted or deactivated, as the connection says — unless the same person holds another
    seat under the contract that is active or suspended (a seat given again after a revocation):
    the vendor user is the person's, and that seat now decides what it holds. Requested, approved
    and held seats never had a vendor user from Seatplan; nothing is asked of the vendor."""
    if seat_status == SeatStatus.ACTIVE:
        return Operation.ENSURE_ACTIVE
    if seat_status == SeatStatus.SUSPENDED:
        return Operation.DEACTIVATE
    if seat_status == SeatStatus.REVOKED:
        if person_has_other_live_seat:
            return Operation.NOTHING
        if revoke_action == RevokeAction.DEACTIVATE:
            return Operation.DEACTIVATE
        return Operation.DELETE
    return Operation.NOTHING


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Seconds before the next try after `attempts` failed ones: base × 2^(attempts-1), capped."""
    if attempts <= 0 or base <= 0:
        return 0.0
    return min(cap, base * 2 ** min(attempts - 1, 30))


def cooldown(openings: int, *, base: float, cap: float) -> float:
    """Seconds the circuit stays open after its `openings`th opening in a row."""
    return retry_delay(openings, base=base, cap=cap)


def endpoint_problem(url: str) -> str | None:
    """Why Seatplan refuses to send its bearer token to `url`, or None when it may.

    The token is a secret: it goes only over HTTPS, or over plain HTTP to this machine
    (loopback, for tests and a local vendor stand-in). The URL names a host, carries no
    credentials, query or fragment (the client appends paths to it)."""
    if not url:
        return "No SCIM base URL is set."
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "The SCIM base URL cannot be read."
    if parts.scheme not in ("https", "http") or not host:
        return "The SCIM base URL must be an https:// URL with a host."
    if parts.username or parts.password:
        return "The SCIM base URL must not carry credentials; the token goes in its own field."
    if parts.query or parts.fragment:
        return "The SCIM base URL must not have a query or a fragment."
    if parts.scheme == "http" and not _is_loopback(host):
        return "Plain http:// is allowed only to this machine (127.0.0.1); use https://."
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def retry_after_seconds(value: str | None, *, now: dt.datetime) -> float:
    """The wait a `Retry-After` header asks for: delta-seconds or an HTTP date (RFC 9110 §10.2.3),
    within [0, MAX_RETRY_AFTER]; DEFAULT_RETRY_AFTER when missing or unreadable."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - now).total_seconds()
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return max(0.0, min(MAX_RETRY_AFTER, seconds))
