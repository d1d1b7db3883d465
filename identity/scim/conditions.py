"""Conditional requests on a resource's version (RFC 7644 §3.14, RFC 9110 §13): pure
functions over the header value and the stored version number."""

from __future__ import annotations

import re

# One member of an entity-tag list: an optional weak prefix, then a quoted or a bare tag.
_TAG = re.compile(r'\s*(?:[Ww]/)?(?:"([^"]*)"|([^,\s]+))\s*(?:,|$)')


def _tags(header: str) -> set[str] | None:
    """The opaque tags of a header, or None for '*' (any version)."""
    tags: set[str] = set()
    for quoted, bare in _TAG.findall(header):
        if bare == "*":
            return None
        tags.add(quoted if quoted else bare)
    return tags


def _matches(header: str, version: int) -> bool:
    tags = _tags(header)
    return tags is None or str(version) in tags


def if_match_ok(header: str | None, version: int) -> bool:
    """An `If-Match` header (absent: always) allows a write on this version. SCIM's tags are
    weak, so the comparison is the weak one (a strong comparison never matches a weak tag)."""
    if not header or not header.strip():
        return True
    return _matches(header, version)


def not_modified(header: str | None, version: int) -> bool:
    """An `If-None-Match` header names this version: a GET answers 304."""
    if not header or not header.strip():
        return False
    return _matches(header, version)
