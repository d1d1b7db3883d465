"""Roles and agency scope for the API.

A view declares which roles may call each of its actions (`roles = {"list": READ, "approve":
MANAGE, …}`, keyed by viewset action or, on a plain APIView, by HTTP method); anything it does
not declare is refused. What a caller may *see* is a separate question, answered by
`agency_scope`: everything for rollout managers, finance and API readers, only their own agencies
for agency coordinators, so another agency's object answers 404 as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission

from agencies.models import CoordinatorAgency
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER, has_role

from .serializers import MAX_ID, NOT_CANONICAL_ID, canonical_id

READ = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER)
READ_FIGURES = (ROLLOUT_MANAGER, FINANCE, API_READER)
MANAGE = (ROLLOUT_MANAGER,)
REQUEST_SEATS = (ROLLOUT_MANAGER, AGENCY_COORDINATOR)
FORECAST = (ROLLOUT_MANAGER, FINANCE)
BILLING = (FINANCE,)
# Roles that read every agency's rows; a coordinator reads only their own agencies'.
_SEE_ALL = (ROLLOUT_MANAGER, FINANCE, API_READER)
# Roles that see every employee's personal fields (names, email, job title); a coordinator sees
# those of their own agencies' people, an API reader nobody's.
_SEE_PERSONAL = (ROLLOUT_MANAGER, FINANCE)


def has_any_role(user, roles) -> bool:
    return any(has_role(user, role) for role in roles)


class RolePermission(BasePermission):
    """Allow an action to the roles the view lists for it, nobody else. A method the view does
    not route at all is let through to DRF, which answers 405 with an `Allow` header."""

    def has_permission(self, request, view) -> bool:
        if request.method.lower() not in getattr(view, "http_method_names", ()):
            # A method the endpoint does not take (OPTIONS, PUT, …): DRF answers 405 with
            # `Allow`, the same for every caller, instead of a 401 or 403 that would suggest
            # another role could use it.
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        roles_by_name = getattr(view, "roles", None)
        if roles_by_name is None:
            return False
        if hasattr(view, "action_map"):
            name = view.action
        else:
            name = request.method.upper()
            if not hasattr(view, request.method.lower()):
                return True
        if name is None or name == "metadata":  # unrouted method, or OPTIONS: DRF answers 405
            return True
        roles = roles_by_name.get(name)
        return bool(roles) and has_any_role(user, roles)


@dataclass(frozen=True)
class AgencyScope:
    """The agencies a caller may see (`None`: every agency)."""

    agency_ids: frozenset[int] | None

    @property
    def is_all(self) -> bool:
        return self.agency_ids is None

    def filter(self, queryset: QuerySet, path: str = "agency") -> QuerySet:
        """Keep the rows whose agency (reached through `path`) is in scope."""
        if self.agency_ids is None:
            return queryset
        return queryset.filter(**{f"{path}__in": self.agency_ids})

    def allows(self, agency_id: int | None) -> bool:
        return self.agency_ids is None or agency_id in self.agency_ids

    @property
    def key(self) -> str:
        """A stable text for cache keys and ETags."""
        if self.agency_ids is None:
            return "all"
        return ",".join(str(i) for i in sorted(self.agency_ids)) or "none"


def _coordinated(user) -> frozenset[int]:
    return frozenset(
        CoordinatorAgency.objects.filter(user=user).values_list("agency_id", flat=True)
    )


def agency_scope_of(user) -> AgencyScope:
    """What a user may read: every agency, their own agencies (a coordinator), or none."""
    if has_any_role(user, _SEE_ALL):
        return AgencyScope(None)
    if has_role(user, AGENCY_COORDINATOR):
        return AgencyScope(_coordinated(user))
    return AgencyScope(frozenset())


def agency_scope(request) -> AgencyScope:
    """What the caller may read, computed once per request."""
    scope = getattr(request, "_agency_scope", None)
    if scope is None:
        scope = request._agency_scope = agency_scope_of(request.user)
    return scope


def seat_request_scope(request) -> AgencyScope:
    """The agencies whose employees the caller may request seats for: every agency for a
    rollout manager, their own for a coordinator (even one who also reads everything)."""
    user = request.user
    if has_role(user, ROLLOUT_MANAGER):
        return AgencyScope(None)
    if has_role(user, AGENCY_COORDINATOR):
        return AgencyScope(_coordinated(user))
    return AgencyScope(frozenset())


def personal_scope(request) -> AgencyScope:
    """The agencies whose employees' personal fields the caller may read."""
    scope = getattr(request, "_personal_scope", None)
    if scope is None:
        user = request.user
        if has_any_role(user, _SEE_PERSONAL):
            scope = AgencyScope(None)
        elif has_role(user, AGENCY_COORDINATOR):
            scope = agency_scope(request)
            if scope.is_all:
                scope = AgencyScope(_coordinated(user))
        else:
            scope = AgencyScope(frozenset())
        request._personal_scope = scope
    return scope


def personal_scope_of(user) -> AgencyScope:
    """`personal_scope` for a user outside a request: a webhook endpoint's owner or an email
    recipient, whose payloads are cut to what they could read through the API."""
    if has_any_role(user, _SEE_PERSONAL):
        return AgencyScope(None)
    if has_role(user, AGENCY_COORDINATOR):
        return AgencyScope(_coordinated(user))
    return AgencyScope(frozenset())


# URL arguments that name an object by id, and the name the schema (and the 400) gives them.
PATH_IDS = {"pk": "id", "job_id": "job_id", "period_id": "period_id", "delivery_id": "delivery_id"}


def check_path_ids(kwargs: dict) -> None:
    """400 naming each id in the URL that is not written as canonical digits (`" 7"`, `+7`,
    `07`, full-width `７`, `abc`): routes take any segment, so this one check decides for every
    endpoint. Canonical ids beyond 64 bits simply name no object (404)."""
    wrong = {
        PATH_IDS[name]: [NOT_CANONICAL_ID]
        for name, value in kwargs.items()
        if name in PATH_IDS and value is not None and canonical_id(str(value)) is None
    }
    if wrong:
        raise ValidationError(wrong)
    for name, value in kwargs.items():
        if name in PATH_IDS and value is not None and int(value) > MAX_ID:
            raise Http404


class ApiMethodsMixin:
    """Only the methods the API documents (OPTIONS answers 405 and is not listed in `Allow`),
    and ids in the URL only as canonical digits (`check_path_ids`)."""

    http_method_names = ["get", "post", "head"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_path_ids(kwargs)


class AgencyScopedMixin(ApiMethodsMixin):
    """For viewsets: `scoped(queryset)` keeps the rows the caller's agencies may see, reaching
    the agency through `scope_path`."""

    scope_path = "agency"

    def scoped(self, queryset: QuerySet) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no real caller
            return queryset.none()
        return agency_scope(self.request).filter(queryset, self.scope_path)
