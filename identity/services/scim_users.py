"""SCIM users: create, replace, patch and delete, each in one transaction with its roster
consequences (services/roster.py). Each takes a resource or PATCH scim2-models has validated,
and the token the change is recorded under; a write that conflicts with another (an `If-Match`
version no longer current, a `userName` taken) is refused with a `BusinessRuleError` the SCIM
view answers in the protocol's terms."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import BusinessRuleError

from ..models import ScimToken, ScimUser
from ..scim.conditions import if_match_ok
from ..scim.provider import POLICY, USER_MODEL
from ..scim.resources import stored_form, user_columns, user_resource
from .roster import (
    RosterOutcome,
    scim_user_roles_sync,
    scim_user_roster_sync,
    scim_user_separate_on_delete,
)


def _locked(user_id) -> ScimUser:
    row = ScimUser.objects.select_for_update().filter(pk=user_id).first()
    if row is None:
        raise BusinessRuleError("not_found", f"No User with id {user_id}.")
    return row


def _check_version(row, if_match: str | None) -> None:
    if not if_match_ok(if_match, row.version):
        raise BusinessRuleError(
            "precondition_failed",
            f"The User was changed meanwhile (it is at version {row.version}); read it again.",
        )


def _check_unique(user_name_key: str, own_id=None) -> None:
    taken = ScimUser.objects.filter(user_name_key=user_name_key)
    if own_id is not None:
        taken = taken.exclude(pk=own_id)
    if taken.exists():
        raise BusinessRuleError("uniqueness", "A User with this userName already exists.")


def _columns(row: ScimUser, resource) -> None:
    for name, value in user_columns(resource).items():
        setattr(row, name, value)
    row.resource = stored_form(resource)


def _save(row: ScimUser) -> None:
    try:
        row.save()
    except IntegrityError as exc:
        # Another request took the userName (or linked the employee) between the check and
        # the write; the whole transaction rolls back with this refusal.
        raise BusinessRuleError("uniqueness", "A User with this userName already exists.") from exc


@transaction.atomic
def scim_user_create(*, resource, token: ScimToken) -> tuple[ScimUser, RosterOutcome]:
    """Provision a user and link (or add) the employee they stand for."""
    now = timezone.now()
    row = ScimUser(created_at=now, updated_at=now, created_by=token)
    _columns(row, resource)
    _check_unique(row.user_name_key)
    outcome = scim_user_roster_sync(scim_user=row, resource=resource, token=token, what="create")
    _save(row)
    return row, outcome


def _rewrite(row: ScimUser, resource, token: ScimToken, what: str) -> RosterOutcome:
    _columns(row, resource)
    _check_unique(row.user_name_key, own_id=row.pk)
    row.version += 1
    row.updated_at = timezone.now()
    _save(row)
    return scim_user_roster_sync(scim_user=row, resource=resource, token=token, what=what)


@transaction.atomic
def scim_user_replace(
    *, user_id, replacement, token: ScimToken, if_match: str | None = None
) -> tuple[ScimUser, RosterOutcome | None]:
    """Replace a user (PUT). Read-only attributes come from the stored user, immutable ones must
    not change; a replacement equal to what is stored changes nothing (same version)."""
    row = _locked(user_id)
    _check_version(row, if_match)
    with POLICY:
        current = user_resource(row, "")
        if not replacement.replace(current):
            return row, None
    return row, _rewrite(row, replacement, token, "replace")


@transaction.atomic
def scim_user_patch(
    *, user_id, patch, token: ScimToken, if_match: str | None = None
) -> tuple[ScimUser, RosterOutcome | None]:
    """Apply a PATCH (RFC 7644 §3.5.2, with Entra ID's forms) to a user. The patched user is
    validated again as a whole before it is stored; a PATCH that changes nothing keeps the
    version."""
    row = _locked(user_id)
    _check_version(row, if_match)
    with POLICY:
        resource = user_resource(row, "")
        if not patch.patch(resource):
            return row, None
        resource = USER_MODEL.model_validate(resource.model_dump())
    return row, _rewrite(row, resource, token, "patch")


@transaction.atomic
def scim_user_delete(*, user_id, token: ScimToken, if_match: str | None = None) -> RosterOutcome:
    """Deprovision a user: the SCIM user is gone (404 from now on, and out of every group),
    the employee stays on the roster, separated, with their seats revoked."""
    row = _locked(user_id)
    _check_version(row, if_match)
    outcome = scim_user_separate_on_delete(scim_user=row, token=token)
    row.memberships.all().delete()
    scim_user_roles_sync(scim_user=row)
    row.delete()
    return outcome
