"""The /scim/v2/ endpoints (RFC 7644): discovery, Users and Groups.

Every request goes through `ScimView.dispatch`: the body limit, the bearer token, the rate
limits, then the handler, all under the service's `ScimPolicy`. Whatever goes wrong answers the
SCIM error shape (`urn:ietf:params:scim:api:messages:2.0:Error` with `status` and, where RFC
7644 §3.12 names one, `scimType`), never a Django error page: invalid input 400, a bad token
401, a missing resource 404, a version conflict 412, a taken userName 409, an oversized body
413, too many requests 429, an outage 503. Handlers parse and serialise with scim2-models and
call one service or selector each."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from pydantic_core import from_json
from scim2_models import (
    Context,
    Error,
    ForbiddenException,
    InvalidSyntaxException,
    ListResponse,
    Meta,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    PayloadTooLargeException,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    SearchRequest,
    UnauthorizedException,
)

from config.errors import BusinessRuleError
from config.middleware import dependency_of

from ..selectors import scim_group_members, scim_groups, scim_token_for, scim_users
from ..services.scim_groups import (
    scim_group_create,
    scim_group_delete,
    scim_group_patch,
    scim_group_replace,
)
from ..services.scim_users import (
    scim_user_create,
    scim_user_delete,
    scim_user_patch,
    scim_user_replace,
)
from ..services.tokens import scim_token_touch
from . import compat
from .conditions import not_modified
from .filters import GroupQuery, Unsupported, UserQuery, filter_query
from .provider import (
    GROUP_MODEL,
    POLICY,
    USER_MODEL,
    max_page_size,
    page_size,
    provider,
)
from .resources import etag, group_resource, user_resource
from .throttling import throttle_wait

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/scim+json"
DEFAULT_MAX_BODY = 1024 * 1024
_RULE_STATUS = {
    "not_found": (404, None),
    "uniqueness": (409, "uniqueness"),
    "precondition_failed": (412, None),
    "invalid_value": (400, "invalidValue"),
    "mutability": (400, "mutability"),
}


def scim_response(body: Any, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = JsonResponse(body, status=status, content_type=CONTENT_TYPE, safe=False)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, detail: str, scim_type: str | None = None, headers=None):
    error = Error(status=status, scim_type=scim_type, detail=detail)
    response = scim_response(error.model_dump(), status=status, headers=headers)
    response["Cache-Control"] = "no-store"
    return response


def _validation_error(exc: ValidationError) -> HttpResponse:
    error = Error.from_validation_errors(exc)[0]
    detail = error.detail or "Invalid input."
    return error_response(int(error.status or 400), detail, error.scim_type)


def _exception_response(exc: Exception) -> HttpResponse:
    if isinstance(exc, SCIMException):
        error = exc.to_error()
        headers = {}
        if isinstance(exc, UnauthorizedException):
            headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
        return error_response(
            int(error.status or 400), error.detail or "Request refused.", error.scim_type, headers
        )
    if isinstance(exc, ValidationError):
        return _validation_error(exc)
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "The body is too large.")
    if isinstance(exc, BusinessRuleError):
        status, scim_type = _RULE_STATUS.get(exc.code, (409, None))
        return error_response(status, exc.detail, scim_type)
    dependency = dependency_of(exc)
    if dependency is not None:
        log.warning("scim: %s unavailable, answered 503", dependency)
        return error_response(
            503,
            "The service is temporarily unavailable; retry in a few seconds.",
            headers={"Retry-After": "5"},
        )
    log.exception("scim: request failed")
    return error_response(500, "The server failed to answer; the failure is logged.")


def _base_url(request) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _bearer(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """The protocol plumbing every endpoint shares; subclasses implement `get`, `post`, …"""

    http_method_names = ["get", "post", "put", "patch", "delete", "head"]

    def dispatch(self, request, *args, **kwargs):
        try:
            with POLICY:
                refused = self._admit(request)
                if refused is not None:
                    return refused
                if request.method.lower() not in self.http_method_names or not hasattr(
                    self, request.method.lower()
                ):
                    allowed = [m.upper() for m in self.http_method_names if hasattr(self, m)]
                    return error_response(
                        405,
                        f"{request.method} is not allowed here.",
                        headers={"Allow": ", ".join(allowed)},
                    )
                return super().dispatch(request, *args, **kwargs)
        except Exception as exc:  # every failure answers in the SCIM error shape
            return _exception_response(exc)

    def _admit(self, request) -> HttpResponse | None:
        limit = int(getattr(settings, "SCIM_MAX_BODY_BYTES", DEFAULT_MAX_BODY))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise PayloadTooLargeException(detail=f"The body exceeds {limit} bytes.")
        token = scim_token_for(_bearer(request))
        if token is None:
            wait = throttle_wait("anon", _client_address(request))
            if wait is not None:
                return self._throttled(wait)
            raise UnauthorizedException(detail="A valid SCIM bearer token is required.")
        wait = throttle_wait("token", str(token.pk))
        if wait is not None:
            return self._throttled(wait)
        scim_token_touch(token=token)
        self.token = token
        return None

    @staticmethod
    def _throttled(wait: int) -> HttpResponse:
        return error_response(
            429, f"Too many requests; retry in {wait} seconds.", headers={"Retry-After": str(wait)}
        )

    def body(self, model, context: Context):
        """The request body read as `model` in `context` (415 for a body that is not JSON)."""
        content_type = (self.request.content_type or "").lower()
        if content_type and not (
            content_type in ("application/json", "application/scim+json")
            or (content_type.startswith("application/") and content_type.endswith("+json"))
        ):
            return None
        if len(self.request.body) > int(getattr(settings, "SCIM_MAX_BODY_BYTES", DEFAULT_MAX_BODY)):
            raise PayloadTooLargeException(detail="The body is too large.")
        if context == Context.RESOURCE_PATCH_REQUEST:
            payload = compat.patch_body(_json(self.request.body))
            return model.model_validate(payload, scim_ctx=context)
        return model.model_validate_json(self.request.body or b"{}", scim_ctx=context)

    def unsupported_media(self) -> HttpResponse:
        return error_response(415, "Send the body as application/scim+json (or application/json).")

    def if_match(self) -> str | None:
        return self.request.META.get("HTTP_IF_MATCH")


# --- discovery -------------------------------------------------------------------------------


def _no_filter(request) -> None:
    if "filter" in request.GET:
        raise ForbiddenException(detail="Discovery endpoints do not support filtering.")


def _located(resource, location: str):
    return resource.model_copy(
        update={"meta": Meta(resource_type=type(resource).__name__, location=location)}
    )


class ServiceProviderConfigView(ScimView):
    def get(self, request):
        _no_filter(request)
        config = _located(provider().config, f"{_base_url(request)}/ServiceProviderConfig")
        location = config.meta.location
        return scim_response(config.model_dump(), headers={"Content-Location": location})


def _listed(resources, model) -> dict:
    return ListResponse[model](
        total_results=len(resources),
        items_per_page=len(resources),
        start_index=1,
        resources=resources,
    ).model_dump()


class ResourceTypesView(ScimView):
    def get(self, request, name: str | None = None):
        _no_filter(request)
        base = f"{_base_url(request)}/ResourceTypes"
        types = [_located(rt, f"{base}/{rt.id}") for rt in provider().resource_types]
        if name is None:
            return scim_response(_listed(types, ResourceType))
        found = next((rt for rt in types if rt.id == name), None)
        if found is None:
            raise NotFoundException(detail=f"No resource type {name!r}.")
        return scim_response(found.model_dump(), headers={"Content-Location": found.meta.location})


class SchemasView(ScimView):
    def get(self, request, schema_id: str | None = None):
        _no_filter(request)
        base = f"{_base_url(request)}/Schemas"
        schemas = [_located(s, f"{base}/{s.id}") for s in provider().schemas]
        if schema_id is None:
            return scim_response(_listed(schemas, Schema))
        found = next((s for s in schemas if s.id == schema_id), None)
        if found is None:
            raise NotFoundException(detail=f"No schema {schema_id!r}.")
        return scim_response(found.model_dump(), headers={"Content-Location": found.meta.location})


class NotImplementedView(ScimView):
    """Bulk and /Me: not offered (501)."""

    def _refuse(self, request, *args, **kwargs):
        raise NotImplementedException(detail="This operation is not supported by Seatplan.")

    get = post = put = patch = delete = _refuse


class UnknownView(ScimView):
    """Any other path under /scim/v2/: 404 in the SCIM shape."""

    def _refuse(self, request, *args, **kwargs):
        raise NotFoundException(detail="No such endpoint.")

    get = post = put = patch = delete = _refuse


# --- resources -------------------------------------------------------------------------------


def _json(body: bytes):
    try:
        return from_json(body or b"{}")
    except ValueError as exc:
        raise InvalidSyntaxException(detail=f"The body is not JSON: {exc}") from exc


class _SearchBody:
    """The JSON object of a POST .search (its `schemas` aside)."""

    @staticmethod
    def read(request) -> dict:
        payload = _json(request.body)
        if not isinstance(payload, dict):
            raise InvalidSyntaxException(detail="A search body is a JSON object.")
        payload.pop("schemas", None)
        return payload


_SEARCH_PARAMETERS = (
    "attributes",
    "excludedAttributes",
    "filter",
    "sortBy",
    "sortOrder",
    "startIndex",
    "count",
)


class _Resources(ScimView):
    """What /Users and /Groups share: reading, listing and searching."""

    model: Any = None
    query_visitor: Any = None
    endpoint = ""

    def rows(self):
        raise NotImplementedError

    def resources(self, rows, request, parameters) -> list:
        raise NotImplementedError

    def search(self, request, payload: dict) -> HttpResponse:
        search = _search_request(self.model, payload)
        start, count = _window(search)
        matched = self.matching(request, search.filter)
        total = _total(matched)
        page = _slice(matched, start - 1, count)
        return scim_response(
            _list_body(self.model, total, start, self.dumped(request, page, search))
        )

    def matching(self, request, scim_filter):
        """The rows a filter keeps: a queryset when the columns answer it, else a list."""
        rows = self.rows()
        if not scim_filter:
            return rows
        try:
            return rows.filter(filter_query(self.query_visitor, scim_filter)).distinct()
        except Unsupported:
            return self.filtered_in_memory(rows, scim_filter, request)

    def dumped(self, request, rows, search) -> list[dict]:
        return [
            resource.model_dump(
                scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search
            )
            for resource in self.resources(rows, request, search)
        ]

    def filtered_in_memory(self, rows, scim_filter, request) -> list:
        """A filter no column answers, evaluated by scim2-models on every stored resource."""
        matched = []
        for chunk_start in range(0, rows.count(), 1000):
            chunk = list(rows[chunk_start : chunk_start + 1000])
            for row, resource in zip(chunk, self.resources(chunk, request, None), strict=True):
                if scim_filter.match(resource):
                    matched.append(row)
        return matched

    def one(self, request, resource_id):
        row = self.rows().filter(pk=_uuid(resource_id)).first()
        if row is None:
            raise NotFoundException(detail=f"No {self.model.__name__.split('[')[0]} {resource_id}.")
        return row

    def resource_response(self, request, row, *, status=200, context, parameters=None):
        resource = self.resources([row], request, parameters)[0]
        body = resource.model_dump(scim_ctx=context, response_parameters=parameters)
        headers = {"ETag": etag(row.version), "Content-Location": resource.meta.location}
        if status == 201:
            headers["Location"] = resource.meta.location
        return scim_response(body, status=status, headers=headers)

    def parameters(self, request):
        data = {k: request.GET[k] for k in ("attributes", "excludedAttributes") if k in request.GET}
        return ResponseParameters[self.model].model_validate(data)

    # Collection: list/search and create.

    def collection_get(self, request):
        payload = {k: request.GET[k] for k in _SEARCH_PARAMETERS if k in request.GET}
        return self.search(request, payload)

    def search_post(self, request):
        return self.search(request, _SearchBody.read(request))

    def member_get(self, request, resource_id):
        row = self.one(request, resource_id)
        if not_modified(request.META.get("HTTP_IF_NONE_MATCH"), row.version):
            return HttpResponse(status=HTTPStatus.NOT_MODIFIED, headers={"ETag": etag(row.version)})
        return self.resource_response(
            request,
            row,
            context=Context.RESOURCE_QUERY_RESPONSE,
            parameters=self.parameters(request),
        )


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFoundException(detail=f"No resource {value}.") from None


def _search_request(model, payload: dict):
    keys = {k.lower() for k in payload}
    if keys & {"sortby", "sortorder"}:
        raise NotImplementedException(detail="Sorting is not supported.")
    if "cursor" in keys:
        raise NotImplementedException(detail="Cursor pagination is not supported.")
    return SearchRequest[model].model_validate(payload, scim_ctx=Context.SEARCH_REQUEST)


def _window(search) -> tuple[int, int]:
    """The 1-based start and the page size a search asks for, bounded (RFC 7644 §3.4.2.4: a
    start below 1 is 1, a negative count is 0, a count above the maximum is the maximum)."""
    start = max(1, search.start_index or 1)
    count = page_size() if search.count is None else max(0, search.count)
    return start, min(count, max_page_size())


def _total(matched) -> int:
    return len(matched) if isinstance(matched, list) else matched.count()


def _slice(matched, offset: int, count: int) -> list:
    if count <= 0:
        return []
    return list(matched[offset : offset + count])


def _list_body(model, total: int, start: int, dumped: list[dict]) -> dict:
    body = ListResponse[model](
        total_results=total,
        items_per_page=len(dumped),
        start_index=start,
        resources=dumped,
    ).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    body.setdefault("Resources", [])
    return body


class _UserResources(_Resources):
    model = USER_MODEL
    query_visitor = UserQuery

    # The user services also say what they did to the employee; the views need the row only.
    def create(self, *, resource, token):
        return scim_user_create(resource=resource, token=token)[0]

    def replace(self, key, replacement, *, token, if_match):
        return scim_user_replace(
            user_id=key, replacement=replacement, token=token, if_match=if_match
        )[0]

    def change(self, key, patch, *, token, if_match):
        return scim_user_patch(user_id=key, patch=patch, token=token, if_match=if_match)[0]

    def remove(self, key, *, token, if_match):
        scim_user_delete(user_id=key, token=token, if_match=if_match)

    def rows(self):
        return scim_users()

    def resources(self, rows, request, parameters):
        base = _base_url(request)
        return [user_resource(row, base) for row in rows]


class _GroupResources(_Resources):
    model = GROUP_MODEL
    query_visitor = GroupQuery

    def create(self, *, resource, token):
        return scim_group_create(resource=resource, token=token)

    def replace(self, key, replacement, *, token, if_match):
        return scim_group_replace(
            group_id=key, replacement=replacement, token=token, if_match=if_match
        )

    def change(self, key, patch, *, token, if_match):
        return scim_group_patch(group_id=key, patch=patch, token=token, if_match=if_match)

    def remove(self, key, *, token, if_match):
        scim_group_delete(group_id=key, token=token, if_match=if_match)

    def rows(self):
        return scim_groups()

    def resources(self, rows, request, parameters):
        base = _base_url(request)
        skip_members = parameters is not None and _leaves_out_members(parameters)
        members = {} if skip_members else scim_group_members(row.pk for row in rows)
        return [
            group_resource(row, base, None if skip_members else members.get(row.pk, []))
            for row in rows
        ]


def _leaves_out_members(parameters) -> bool:
    excluded = {str(a).lower() for a in (parameters.excluded_attributes or [])}
    included = {str(a).lower().split(".")[0] for a in (parameters.attributes or [])}
    return "members" in excluded or bool(included and "members" not in included)


class RootSearchView(ScimView):
    """POST /.search: one search over Users then Groups (RFC 7644 §3.4.3). An attribute only
    one of them declares matches none of the other's resources."""

    def post(self, request):
        payload = _SearchBody.read(request)
        union = USER_MODEL | GROUP_MODEL
        search = _search_request(union, payload)
        start, count = _window(search)
        offset, dumped, total = start - 1, [], 0
        for kind in (_UserResources, _GroupResources):
            endpoint = kind()
            endpoint.request = request
            matched = endpoint.matching(request, search.filter)
            found = _total(matched)
            total += found
            if len(dumped) < count and offset < found:
                page = _slice(matched, offset, count - len(dumped))
                dumped += endpoint.dumped(request, page, search)
            offset = max(0, offset - found)
        return scim_response(_list_body(union, total, start, dumped))


class _CollectionView:
    """`GET` lists a resource type (filter, pages, attributes); `POST` creates one."""

    def get(self, request):
        return self.collection_get(request)

    def post(self, request):
        resource = self.body(self.model, Context.RESOURCE_CREATION_REQUEST)
        if resource is None:
            return self.unsupported_media()
        row = self.create(resource=resource, token=self.token)
        return self.resource_response(
            request, row, status=201, context=Context.RESOURCE_CREATION_RESPONSE
        )


class _SearchView:
    """`POST …/.search`: the list, asked with a body."""

    def post(self, request):
        return self.search_post(request)


class _MemberView:
    """One resource: read, replace (`PUT`), `PATCH`, delete; every write honours `If-Match`."""

    def get(self, request, resource_id):
        return self.member_get(request, resource_id)

    def put(self, request, resource_id):
        replacement = self.body(self.model, Context.RESOURCE_REPLACEMENT_REQUEST)
        if replacement is None:
            return self.unsupported_media()
        row = self.replace(
            _uuid(resource_id), replacement, token=self.token, if_match=self.if_match()
        )
        return self.resource_response(
            request,
            row,
            context=Context.RESOURCE_REPLACEMENT_RESPONSE,
            parameters=self.parameters(request),
        )

    def patch(self, request, resource_id):
        patch = self.body(PatchOp[self.model], Context.RESOURCE_PATCH_REQUEST)
        if patch is None:
            return self.unsupported_media()
        row = self.change(_uuid(resource_id), patch, token=self.token, if_match=self.if_match())
        return self.resource_response(
            request,
            row,
            context=Context.RESOURCE_PATCH_RESPONSE,
            parameters=self.parameters(request),
        )

    def delete(self, request, resource_id):
        self.remove(_uuid(resource_id), token=self.token, if_match=self.if_match())
        return HttpResponse(status=204)


class UsersView(_CollectionView, _UserResources):
    pass


class UsersSearchView(_SearchView, _UserResources):
    pass


class UserView(_MemberView, _UserResources):
    pass


class GroupsView(_CollectionView, _GroupResources):
    pass


class GroupsSearchView(_SearchView, _GroupResources):
    pass


class GroupView(_MemberView, _GroupResources):
    pass
