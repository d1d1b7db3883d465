"""SCIM groups: create, replace, patch and delete. A group the role map or `SCIM_GROUP_MAP`
names gives its members a role or an agency, so a change of its members (or of its name)
re-applies those to the members it concerns; any other group is only stored."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError

from ..conf import scim_group_map
from ..models import ScimGroup, ScimGroupMember, ScimToken, ScimUser
from ..scim.conditions import if_match_ok
from ..scim.provider import GROUP_MODEL, POLICY
from ..scim.resources import group_columns, group_resource, stored_form, user_resource
from ..selectors import scim_group_members
from .roster import scim_user_roles_sync, scim_user_roster_sync


def _locked(group_id) -> ScimGroup:
    row = ScimGroup.objects.select_for_update().filter(pk=group_id).first()
    if row is None:
        raise BusinessRuleError("not_found", f"No Group with id {group_id}.")
    return row


def _members(resource, own_id=None) -> dict[tuple[str, uuid.UUID], str]:
    """The members a resource lists, as {(kind, id): display}, each checked to exist."""
    wanted: dict[tuple[str, uuid.UUID], str] = {}
    for member in resource.members or []:
        try:
            key = uuid.UUID(str(member.value))
        except ValueError:
            raise BusinessRuleError(
                "invalid_value", f"Member '{member.value}' is no User or Group id."
            ) from None
        kind = "Group" if str(member.type or "").lower() == "group" else "User"
        if kind == "User" and not ScimUser.objects.filter(pk=key).exists():
            kind = "Group" if ScimGroup.objects.filter(pk=key).exists() else "User"
        wanted[(kind, key)] = (member.display or "")[:255]
    users = {k for kind, k in wanted if kind == "User"}
    groups = {k for kind, k in wanted if kind == "Group"}
    found_users = set(ScimUser.objects.filter(pk__in=users).values_list("pk", flat=True))
    found_groups = set(ScimGroup.objects.filter(pk__in=groups).values_list("pk", flat=True))
    missing = sorted(str(k) for k in (users - found_users) | (groups - found_groups))
    if missing:
        raise BusinessRuleError(
            "invalid_value", f"No User or Group with id {', '.join(missing[:5])}."
        )
    if own_id is not None and ("Group", own_id) in wanted:
        raise BusinessRuleError("invalid_value", "A group cannot be a member of itself.")
    return wanted


def _current_members(group: ScimGroup) -> dict[tuple[str, uuid.UUID], str]:
    current = {}
    for m in ScimGroupMember.objects.filter(group=group).values(
        "user_id", "member_group_id", "display"
    ):
        if m["user_id"] is not None:
            current[("User", m["user_id"])] = m["display"]
        else:
            current[("Group", m["member_group_id"])] = m["display"]
    return current


def _write_members(group: ScimGroup, old: dict, new: dict) -> set[uuid.UUID]:
    """Store the new member list; return the users whose membership changed."""
    removed = set(old) - set(new)
    added = set(new) - set(old)
    for kind in ("User", "Group"):
        ids = [k for knd, k in removed if knd == kind]
        if ids:
            column = "user_id__in" if kind == "User" else "member_group_id__in"
            ScimGroupMember.objects.filter(group=group, **{column: ids}).delete()
    ScimGroupMember.objects.bulk_create(
        [
            ScimGroupMember(
                group=group,
                user_id=key if kind == "User" else None,
                member_group_id=key if kind == "Group" else None,
                display=new[(kind, key)],
            )
            for kind, key in sorted(added, key=lambda item: (item[0], str(item[1])))
        ],
        batch_size=1000,
    )
    for (kind, key), display in new.items():
        if (kind, key) in old and old[(kind, key)] != display:
            column = {"user_id": key} if kind == "User" else {"member_group_id": key}
            ScimGroupMember.objects.filter(group=group, **column).update(display=display)
    return {k for kind, k in removed | added if kind == "User"}


def _is_mapped(*names: str) -> bool:
    groups = scim_group_map().groups
    return any(name and name in groups for name in names)


def _apply_to_members(user_ids, token: ScimToken, gone: tuple[str, ...] = ()) -> None:
    """Re-derive, for these users, the agency and the roles their groups give (`gone`: the
    names of a group that no longer goes by them, whose grants are to be taken back)."""
    if not user_ids:
        return
    for scim_user in ScimUser.objects.filter(pk__in=list(user_ids)).select_related("employee"):
        with POLICY:
            resource = user_resource(scim_user, "")
        scim_user_roster_sync(scim_user=scim_user, resource=resource, token=token, what="group")
        scim_user_roles_sync(scim_user=scim_user, also_decided=gone)


def _save(row: ScimGroup, resource) -> None:
    for name, value in group_columns(resource).items():
        setattr(row, name, value)
    row.resource = stored_form(resource)
    row.save()


@transaction.atomic
def scim_group_create(*, resource, token: ScimToken) -> ScimGroup:
    """Provision a group with its members (users or groups that exist)."""
    members = _members(resource)
    now = timezone.now()
    row = ScimGroup(created_at=now, updated_at=now, created_by=token)
    _save(row, resource)
    changed = _write_members(row, {}, members)
    if _is_mapped(row.display_name, row.external_id):
        _apply_to_members(changed, token)
    return row


def _rewrite(row: ScimGroup, resource, token: ScimToken) -> None:
    names_before = (row.display_name, row.external_id)
    old = _current_members(row)
    new = _members(resource, own_id=row.pk)
    row.version += 1
    row.updated_at = timezone.now()
    _save(row, resource)
    changed = _write_members(row, old, new)
    names_after = (row.display_name, row.external_id)
    if names_before != names_after and (_is_mapped(*names_before) or _is_mapped(*names_after)):
        # Renamed into or out of the map: every member is concerned.
        changed |= {k for kind, k in set(old) | set(new) if kind == "User"}
    if _is_mapped(*names_before) or _is_mapped(*names_after):
        gone = tuple(n for n in names_before if n and n not in names_after)
        _apply_to_members(changed, token, gone)


def _current(row: ScimGroup):
    members = scim_group_members([row.pk]).get(row.pk, [])
    return group_resource(row, "", members)


@transaction.atomic
def scim_group_replace(
    *, group_id, replacement, token: ScimToken, if_match: str | None = None
) -> ScimGroup:
    """Replace a group (PUT), its members included."""
    row = _locked(group_id)
    if not if_match_ok(if_match, row.version):
        raise BusinessRuleError("precondition_failed", "The Group was changed meanwhile.")
    with POLICY:
        current = _current(row)
        if not replacement.replace(current):
            return row
    _rewrite(row, replacement, token)
    return row


@transaction.atomic
def scim_group_patch(
    *, group_id, patch, token: ScimToken, if_match: str | None = None
) -> ScimGroup:
    """Apply a PATCH to a group: Entra ID adds and removes members this way, a few at a time."""
    row = _locked(group_id)
    if not if_match_ok(if_match, row.version):
        raise BusinessRuleError("precondition_failed", "The Group was changed meanwhile.")
    with POLICY:
        resource = _current(row)
        if not patch.patch(resource):
            return row
        resource = GROUP_MODEL.model_validate(resource.model_dump())
    _rewrite(row, resource, token)
    return row


@transaction.atomic
def scim_group_delete(*, group_id, token: ScimToken, if_match: str | None = None) -> None:
    """Deprovision a group: what it gave its members is taken back."""
    row = _locked(group_id)
    if not if_match_ok(if_match, row.version):
        raise BusinessRuleError("precondition_failed", "The Group was changed meanwhile.")
    members = set(
        ScimGroupMember.objects.filter(group=row, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    names = (row.display_name, row.external_id)
    mapped = _is_mapped(*names)
    ScimGroupMember.objects.filter(member_group=row).delete()
    row.delete()
    if mapped:
        _apply_to_members(members, token, (names[0], names[1]))
