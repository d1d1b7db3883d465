"""The size limits of a request, enforced in Django so the answer is the API's error shape.

The WSGI server (gunicorn) has its own limits and, when one trips, answers with its own HTML
page before Django ever sees the request. So gunicorn's limits are set *above* these
(`--limit-request-line 8190 --limit-request-field_size 16380`, in the Dockerfile,
docker-compose.yml, bench/stack.py and docs/operations.md), and these are the real ones:

| limit | setting (default) | answer |
| --- | --- | --- |
| path + query string | `REQUEST_MAX_URL_BYTES` (4,000) | 414 `uri_too_long` |
| one header (name + value) | `REQUEST_MAX_HEADER_BYTES` (8,190) | 431 `headers_too_large` |
| all headers together | `REQUEST_MAX_HEADERS_BYTES` (32,768) | 431 `headers_too_large` |
| an API body (`Content-Length`) | `API_MAX_BODY_BYTES` (1 MiB) | 413 `too_large` |

Under `/api/` the answer is `{"code", "detail", "fields"}` (JSON); elsewhere a short plain-text
page. The URL and header limits match what gunicorn's defaults let through before, so nothing
that worked is refused now. A body sent without `Content-Length` is bounded by the parser
(config/api/parsers.py), which also bounds JSON nesting. Pages and the admin keep Django's own
body limits (`DATA_UPLOAD_MAX_MEMORY_SIZE`; a roster upload is a file).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from config.api.parsers import max_body_bytes

DEFAULT_MAX_URL_BYTES = 4000
DEFAULT_MAX_HEADER_BYTES = 8190
DEFAULT_MAX_HEADERS_BYTES = 32 * 1024

# WSGI puts these two headers in META without the HTTP_ prefix.
_UNPREFIXED_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def refusal(request, status: int, code: str, detail: str) -> HttpResponse:
    """The answer to a request over a limit: the error shape under /api/, plain text elsewhere."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": code, "detail": detail, "fields": {}}, status=status
        )
    else:
        response = HttpResponse(detail + "\n", status=status, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    # The body was not read: the connection cannot carry another request after this one.
    response["Connection"] = "close"
    return response


def _header_sizes(meta) -> list[int]:
    sizes = []
    for key, value in meta.items():
        if key.startswith("HTTP_") or key in _UNPREFIXED_HEADERS:
            sizes.append(len(key) + len(str(value).encode("latin-1", "replace")))
    return sizes


def check_request(request) -> HttpResponse | None:
    """The refusal for a request over one of the limits, or None."""
    meta = request.META
    url_bytes = len(meta.get("PATH_INFO", "").encode("utf-8", "surrogateescape")) + len(
        meta.get("QUERY_STRING", "")
    )
    if url_bytes > _limit("REQUEST_MAX_URL_BYTES", DEFAULT_MAX_URL_BYTES):
        limit = _limit("REQUEST_MAX_URL_BYTES", DEFAULT_MAX_URL_BYTES)
        return refusal(
            request, 414, "uri_too_long", f"The URL is longer than {limit:,} bytes; shorten it."
        )
    sizes = _header_sizes(meta)
    one = _limit("REQUEST_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES)
    total = _limit("REQUEST_MAX_HEADERS_BYTES", DEFAULT_MAX_HEADERS_BYTES)
    if any(size > one for size in sizes) or sum(sizes) > total:
        return refusal(
            request,
            431,
            "headers_too_large",
            f"A header is longer than {one:,} bytes, or all of them together than {total:,}.",
        )
    if request.path.startswith("/api/"):
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(
                request, 400, "parse_error", "The Content-Length header is not a number."
            )
        limit = max_body_bytes()
        if length > limit:
            return refusal(
                request, 413, "too_large", f"The request body is larger than {limit:,} bytes."
            )
    return None


class RequestLimitsMiddleware:
    """Refuses a request over a size limit before any other middleware or view reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return check_request(request) or self.get_response(request)
