"""OpenAPI conventions applied to every operation, so no endpoint forgets its errors: each one
documents the error shape for the statuses it can answer (400 when it takes input, 401/403 when
it needs a role, 404 on a single object or a page past the end, 409 for a business refusal on a
write, 413 for a body over the limit, 414/431 for a URL or headers over the limits of
config/request_limits.py, 415 for a body it cannot parse, 429 when throttled), and its
description ends with the roles allowed to call it.

Bodies are described as strictly as they are checked: a request body that refuses unknown keys
(`StrictInputMixin`) says `additionalProperties: false`, and a response field that some callers
do not get (`required=False`, e.g. a seat event's `actor` for an API reader) is not listed as
required."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from .serializers import ErrorSerializer, RefusalSerializer, StrictInputMixin

_ERRORS = {
    "400": "Bad input: `fields` names each offending field or parameter.",
    "401": "No credentials, or an API key that is unknown, revoked or expired.",
    "403": "Your role may not do this.",
    "404": "No such object, or not one your agencies may see; or a page past the end.",
    "409": "A business rule refused the action; `code` says which, `fields` its figures.",
    "413": "The body is larger than the limit (`too_large`; 1 MiB by default).",
    "414": "The path and query string are longer than the limit (`uri_too_long`; 4,000 bytes).",
    "415": "The body is not JSON.",
    "429": "Too many requests; retry after the `Retry-After` seconds.",
    "431": "A header, or all of them together, are longer than the limit (`headers_too_large`; "
    "8,190 and 32,768 bytes).",
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = []
        roles = getattr(self.view, "roles", None)
        has_body = self.method in ("POST", "PUT", "PATCH")
        has_params = bool(self._get_parameters())
        if has_body or has_params:
            codes.append("400")
        if roles is not None:
            codes += ["401", "403"]
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        if has_body:
            codes += ["409", "413", "415"]
        if roles is not None:
            codes.append("429")
        # Every request passes the URL and header limits (config/request_limits.py).
        codes += ["414", "431"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                body = RefusalSerializer if code == "409" else ErrorSerializer
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(body, description=_ERRORS[code]),
                    code,
                    direction=direction,
                )
        return dict(sorted(responses.items()))

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, StrictInputMixin):
            schema["additionalProperties"] = False
        if direction == "response" and "required" in schema:
            fields = getattr(serializer, "fields", {})
            optional = {
                name
                for name, field in fields.items()
                if getattr(field, "_kwargs", {}).get("required") is False
            }
            required = [name for name in schema["required"] if name not in optional]
            if required:
                schema["required"] = required
            else:
                del schema["required"]
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        roles_by_name = getattr(self.view, "roles", None)
        if operation is None or roles_by_name is None:
            return operation
        name = getattr(self.view, "action", None) or method.upper()
        roles = roles_by_name.get(name, ())
        line = "**Roles:** " + (", ".join(f"`{r}`" for r in roles) or "none")
        described = operation.get("description", "")
        operation["description"] = f"{described}\n\n{line}" if described else line
        return operation
