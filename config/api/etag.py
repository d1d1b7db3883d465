"""Conditional GET for pollers: a strong ETag computed from a cheap fingerprint of the data, so an
unchanged answer costs one small query and a 304, not the full computation."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils.http import http_date
from rest_framework.response import Response


def make_etag(*parts: object) -> str:
    """A quoted strong entity tag from the parts that decide the answer's body."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def etag_matches(request, etag: str) -> bool:
    """True when the request's If-None-Match names `etag` (or is `*`). Weak tags compare by
    their opaque part, as RFC 9110 asks for If-None-Match."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(etag: str, last_modified: dt.datetime | None) -> Response:
    response = Response(status=304)
    return with_validators(response, etag, last_modified)


def with_validators(response, etag: str, last_modified: dt.datetime | None):
    """Set ETag, Last-Modified and the caching headers a shared cache must respect: the answer
    depends on who asks, so it is private and revalidated every time."""
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Authorization, Cookie"
    return response
