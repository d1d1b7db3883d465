"""The API's one body parser: JSON, bounded in size and in nesting, before anything reads it.

DRF's `JSONParser` reads the whole body and hands it to `json.load`, so a body of any size is
held in memory and `[[[…]]]` a thousand deep raises `RecursionError` (a 500) somewhere between
the decoder and the serializers. Here the body is read up to `API_MAX_BODY_BYTES` (default
1 MiB): one byte more is a 413 `too_large`; and its nesting is measured on the raw text before it
is decoded: deeper than `API_MAX_JSON_DEPTH` (default 32) is a 400 `parse_error`. No endpoint
takes a body anywhere near either bound (the largest, a forecast of 100 changes, is about
10 KB and 4 deep). `NaN` and `Infinity` are refused, as JSON has no such numbers.

A `Content-Length` over the limit is refused earlier still, without reading the body, by
`config.middleware.RequestLimitsMiddleware`; this parser also covers bodies sent without one.
"""

from __future__ import annotations

import codecs
import json
import re

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 32

# A JSON string (with its escapes), so brackets inside strings are not counted as nesting.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def max_json_depth() -> int:
    return int(getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH))


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def json_depth(raw: bytes, limit: int) -> int:
    """The nesting depth of a JSON text, counting only up to `limit + 1` (enough to refuse)."""
    depth = deepest = 0
    for bracket in _BRACKETS.finditer(_STRING.sub(b'""', raw)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class BoundedJSONParser(BaseParser):
    """`application/json`, at most `API_MAX_BODY_BYTES` long and `API_MAX_JSON_DEPTH` deep."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit:,} bytes.")
        depth_limit = max_json_depth()
        if json_depth(raw, depth_limit) > depth_limit:
            raise ParseError(f"JSON parse error - nested deeper than {depth_limit} levels.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            codecs.lookup(encoding)
            text = raw.decode(encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except (LookupError, UnicodeDecodeError, ValueError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
