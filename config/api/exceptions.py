"""The one error shape: `{"code", "detail", "fields"}` for every refusal the API makes.

DRF's own exceptions keep their status (400, 401, 403, 404, 405, 406, 415, 429) and their
`default_code`; a `BusinessRuleError` from a service answers 409 with the service's code; bad
contract terms answer 409 `invalid_terms`. Input errors list every offending field under
`fields`, nested input by dotted path (`changes.0.wave`). URLs outside every route answer the same
shape through `handler404`/`handler500` when the path is under `/api/`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.errors import BusinessRuleError
from config.pages import server_error_page
from licensing.pricing import TermsError

NON_FIELD = "non_field_errors"


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"code": code, "detail": detail, "fields": fields or {}}


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {dotted.path: [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, path))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if detail:
                out[prefix or NON_FIELD] = [str(item) for item in detail]
        else:
            for index, value in enumerate(detail):
                if value:
                    out.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or NON_FIELD] = [str(detail)]
    return out


def _validation_response(exc: exceptions.ValidationError) -> Response:
    fields = flatten(exc.detail)
    if fields:
        name, messages = next(iter(fields.items()))
        where = "" if name == NON_FIELD else f" in '{name}'"
        detail = f"Invalid input{where}: {messages[0]}"
    else:
        detail = "Invalid input."
    return Response(error_body("invalid", detail, fields), status=status.HTTP_400_BAD_REQUEST)


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every handled error in the one shape; anything else is a bug
    and stays a 500 (logged by Django without the request's credentials)."""
    if isinstance(exc, BusinessRuleError):
        # The figures behind the refusal (headroom, quota, ceiling, failing gates, ...) as
        # fields, so a client need not parse the sentence.
        return Response(
            error_body(exc.code, exc.detail, dict(exc.context)), status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, TermsError):
        return Response(
            error_body("invalid_terms", f"The contract's price terms cannot be used: {exc}"),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        return _validation_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        code, detail = "not_found", "Not found."
    elif isinstance(exc, DjangoPermissionDenied):
        code, detail = "permission_denied", "You do not have permission to perform this action."
    elif isinstance(exc, exceptions.APIException):
        code = exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
        if isinstance(exc.detail, str) and getattr(exc.detail, "code", None):
            code = exc.detail.code
    else:  # pragma: no cover - DRF handles only the types above
        code, detail = "error", "Request failed."
    response.data = error_body(str(code), str(detail))
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """`handler404`: the error shape under /api/, Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """`handler500`: the error shape under /api/ (no detail of the failure), the site's 500
    page elsewhere (config/pages.py)."""
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", "The server failed to answer; the failure is logged."),
            status=500,
        )
    return server_error_page()
