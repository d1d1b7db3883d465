"""The SCIM 2.0 client that talks to the vendor's workspace: the one module of Seatplan allowed to
open an outbound HTTP connection (tests/security/test_outbound.py holds every other to none).

Requests and responses are built and checked by scim2-client on scim2-models (RFC 7643/7644
resources, filters and PATCH operations, and the validation of what comes back), over an
`httpx.Client`. scim2-client ships engines for other HTTP libraries; `_HttpxEngine` is the
few lines that bind it to httpx, the client the project pins.

What goes out, and where (docs/security.md, API7):
- only to the base URL of a `VendorConnection` set by staff in the admin, or of
  `VENDOR_SCIM_URL`; never to a URL an API client or a page supplies. `rules.endpoint_problem`
  refuses anything but https (http only to loopback) before a request is built;
- redirects are not followed, so the bearer token never travels to another host, and every
  endpoint path is checked to stay under the base URL (`_stays_under_base_url`);
- every call has a timeout; nothing here logs a URL, a header or the token.

`Directory` turns the vendor's answers into three outcomes the provisioning service acts on:
`VendorUnavailable` (the vendor is down or refuses our token: the circuit counts it),
`VendorRateLimited` (429: wait `retry_after` seconds), `VendorRefused` (a 4xx about this user,
with the vendor's own message: the seat fails with it). A 404 and a 409 `uniqueness` are
handled inside: a user already gone is already deleted; a user already there is adopted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError
from scim2_client import BaseSyncSCIMClient, RequestNetworkException, SCIMClientException
from scim2_models import (
    Email,
    EnterpriseUser,
    Group,
    ListResponse,
    Name,
    PatchOp,
    PatchOperation,
    ResourceType,
    SCIMException,
    ScimProvider,
    SearchRequest,
    User,
)

from .rules import endpoint_problem, retry_after_seconds

VendorUserModel = User[EnterpriseUser]
PAGE_SIZE = 200
MAX_PAGES = 1000  # 200,000 users: far beyond a workspace; a server that pages for ever stops here


class VendorError(Exception):
    """Something the vendor answered, or failed to; `detail` is safe to store and show."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class VendorUnavailable(VendorError):
    """The vendor cannot take calls now: unreachable, timed out, a 5xx, or our token refused."""


class VendorRateLimited(VendorError):
    """429: the vendor asks us to wait `retry_after` seconds before the next call."""

    def __init__(self, detail: str, retry_after: float):
        super().__init__(detail)
        self.retry_after = retry_after


class VendorRefused(VendorError):
    """The vendor answered and said no about this user (a 4xx other than 401, 404, 409, 429)."""

    def __init__(self, detail: str, status: int | None = None):
        super().__init__(detail)
        self.status = status


class _NotFound(Exception):
    pass


class _Conflict(Exception):
    pass


@dataclass(frozen=True)
class Person:
    """Who a vendor user stands for: the work email is the `userName`, the HR employee number the
    `externalId`."""

    user_name: str
    external_id: str
    given_name: str = ""
    family_name: str = ""

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)


@dataclass(frozen=True)
class VendorUser:
    """A user as the vendor holds it."""

    id: str
    user_name: str
    external_id: str
    active: bool


@dataclass(frozen=True)
class Outcome:
    """What a push left in the vendor: the user's id (empty when there is none) and whether it is
    active (None: no user); `detail` says what was done, in words for the queue page."""

    user_id: str
    active: bool | None
    detail: str


class _HttpxEngine(BaseSyncSCIMClient):
    """scim2-client's synchronous client over an `httpx.Client`."""

    def __init__(self, client: httpx.Client, **kwargs: Any):
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base = self.client.base_url
        try:
            url = self.client.build_request("GET", endpoint).url
        except httpx.InvalidURL:
            return False
        same_origin = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        return same_origin and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response: httpx.Response) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.RequestError as exc:
            error = RequestNetworkException()
            error.add_note(_network_words(exc))
            raise error from exc


def _network_words(exc: httpx.RequestError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "the vendor did not answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "the vendor refused or dropped the connection"
    return f"the connection to the vendor failed ({type(exc).__name__})"


_PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[ResourceType.from_resource(VendorUserModel), ResourceType.from_resource(Group)],
)


class Directory:
    """The vendor's user directory for one connection. Use as a context manager: it holds one
    HTTP connection pool for a batch of calls and closes it at the end."""

    def __init__(self, *, base_url: str, token: str, timeout: float):
        problem = endpoint_problem(base_url)
        if problem:
            raise VendorRefused(problem)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            trust_env=False,
        )
        self._scim = _HttpxEngine(self._http, provider=_PROVIDER)

    def __enter__(self) -> Directory:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the operations a push makes ---------------------------------------------------------

    def ensure_active(self, person: Person, *, known_id: str = "") -> Outcome:
        """The person's user exists and is active: the one Seatplan made or adopted before
        (`known_id`), else the one with their work email as `userName` or their employee number
        as `externalId`, else a new one. A create that meets 409 `uniqueness` (the user appeared
        meanwhile, or an earlier create's answer was lost) adopts the user that is there."""
        user = self._get(known_id) if known_id else None
        if user is None:
            user = self.find(person)
        if user is None:
            try:
                user = self._create(person)
            except _Conflict:
                user = self.find(person)
                if user is None:
                    raise VendorRefused(
                        "The vendor says this user already exists but does not list it."
                    ) from None
            else:
                return Outcome(user.id, True, "Created in the vendor's workspace.")
            return self._activate(user, adopted=True)
        return self._activate(user, adopted=not known_id or user.id != known_id)

    def ensure_inactive(self, person: Person, *, known_id: str = "") -> Outcome:
        """The person's user, if there is one, is deactivated (`active: false`)."""
        user = self._locate(person, known_id)
        if user is None:
            return Outcome("", None, "No user in the vendor's workspace; nothing to deactivate.")
        if user.active:
            if not self._set_active(user.id, False):
                return Outcome("", None, "The user was already gone from the vendor.")
            return Outcome(user.id, False, "Deactivated in the vendor's workspace.")
        return Outcome(user.id, False, "Already deactivated in the vendor's workspace.")

    def ensure_absent(self, person: Person, *, known_id: str = "") -> Outcome:
        """The person's user, if there is one, is deleted."""
        user = self._locate(person, known_id)
        if user is None:
            return Outcome("", None, "No user in the vendor's workspace; nothing to delete.")
        try:
            self._call(lambda: self._scim.delete(VendorUserModel, user.id))
        except _NotFound:
            return Outcome("", None, "The user was already gone from the vendor.")
        return Outcome("", None, "Deleted from the vendor's workspace.")

    def find(self, person: Person) -> VendorUser | None:
        """The user whose `userName` is the person's work email, else whose `externalId` is their
        employee number (an email changed since the user was made)."""
        keys = (("userName", person.user_name), ("externalId", person.external_id))
        for attribute, value in keys:
            if not value:
                continue
            found = self._search(f"{attribute} eq {_quoted(value)}", count=2)
            if found:
                return found[0]
        return None

    def users(self) -> Iterator[VendorUser]:
        """Every user of the workspace, page after page (`startIndex`, `count`)."""
        start = 1
        for _ in range(MAX_PAGES):
            request = SearchRequest(start_index=start, count=PAGE_SIZE)
            page = self._call(
                lambda request=request: self._scim.query(VendorUserModel, query_parameters=request)
            )
            resources = _listed(page)
            yield from (_user(resource) for resource in resources)
            total = page.total_results or 0
            start += len(resources)
            if not resources or start > total:
                return
        raise VendorRefused("The vendor's user list did not end after 1,000 pages.")

    # --- the calls ---------------------------------------------------------------------------

    def _locate(self, person: Person, known_id: str) -> VendorUser | None:
        user = self._get(known_id) if known_id else None
        return user if user is not None else self.find(person)

    def _get(self, user_id: str) -> VendorUser | None:
        try:
            return _user(self._call(lambda: self._scim.query(VendorUserModel, user_id)))
        except _NotFound:
            return None

    def _search(self, scim_filter: str, *, count: int) -> list[VendorUser]:
        request = SearchRequest(filter=scim_filter, count=count)
        page = self._call(lambda: self._scim.query(VendorUserModel, query_parameters=request))
        return [_user(resource) for resource in _listed(page)]

    def _create(self, person: Person) -> VendorUser:
        try:
            user = VendorUserModel(
                user_name=person.user_name,
                external_id=person.external_id or None,
                display_name=person.display_name or None,
                name=Name(
                    given_name=person.given_name or None, family_name=person.family_name or None
                ),
                emails=[Email(value=person.user_name, type=Email.Type.work, primary=True)],
                active=True,
            )
        except ValidationError as exc:
            problems = "; ".join(error["msg"] for error in exc.errors()[:3])
            raise VendorRefused(
                f"Seatplan cannot send this user to the vendor: {problems}."
            ) from None
        return _user(self._call(lambda: self._scim.create(user)))

    def _activate(self, user: VendorUser, *, adopted: bool) -> Outcome:
        words = "Adopted the user already in the vendor's workspace" if adopted else "User"
        if user.active:
            return Outcome(user.id, True, f"{words}; it is active.")
        if not self._set_active(user.id, True):
            raise VendorRefused("The user disappeared from the vendor while being reactivated.")
        return Outcome(user.id, True, f"{words}; reactivated.")

    def _set_active(self, user_id: str, active: bool) -> bool:
        patch = PatchOp[VendorUserModel](
            operations=[PatchOperation(op=PatchOperation.Op.replace_, path="active", value=active)]
        )
        try:
            self._call(lambda: self._scim.modify(VendorUserModel, user_id, patch))
        except _NotFound:
            return False
        return True

    def _call(self, send):
        """Make one SCIM call and translate its failure (see the module docstring)."""
        try:
            return send()
        except RequestNetworkException as exc:
            notes = getattr(exc, "__notes__", None) or ["the vendor could not be reached"]
            raise VendorUnavailable(f"Unreachable: {notes[0]}.") from None
        except SCIMException as exc:
            status = _status(getattr(exc, "status", None))
            detail = str(getattr(exc, "detail", "") or exc) or "no detail"
            scim_type = getattr(exc, "scim_type", "") or ""
            raise _translated(status, detail, scim_type, getattr(exc, "source", None)) from None
        except SCIMClientException as exc:
            response = exc.source if isinstance(exc.source, httpx.Response) else None
            status = response.status_code if response is not None else None
            raise _translated(status, exc.message or type(exc).__name__, "", response) from None


def _translated(status, detail: str, scim_type: str, response) -> Exception:
    said = f"{status} {scim_type}".strip() if status else scim_type or "no status"
    if status == 404:
        return _NotFound()
    if status == 409 and scim_type in ("uniqueness", ""):
        return _Conflict()
    if status == 429:
        headers = response.headers if isinstance(response, httpx.Response) else {}
        wait = retry_after_seconds(headers.get("Retry-After"), now=dt.datetime.now(dt.UTC))
        return VendorRateLimited(f"The vendor asked to slow down (429); waiting {wait:g} s.", wait)
    if status == 401:
        return VendorUnavailable(f"The vendor refused Seatplan's token ({said}): {detail}")
    if status is None or status >= 500:
        return VendorUnavailable(f"The vendor failed ({said}): {detail}")
    return VendorRefused(f"The vendor refused ({said}): {detail}", status)


def _status(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _listed(page) -> list:
    if not isinstance(page, ListResponse):
        raise VendorRefused("The vendor's answer to a search was not a list.")
    return list(page.resources or [])


def _user(resource) -> VendorUser:
    return VendorUser(
        id=str(resource.id),
        user_name=str(resource.user_name or ""),
        external_id=str(resource.external_id or ""),
        active=resource.active is not False,
    )
