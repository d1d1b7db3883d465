"""Stored rows to SCIM resources and back, with scim2-models doing every (de)serialisation.

What is stored is the resource as the provider wrote it, dumped in the query-response context:
read-only attributes (`id`, `meta`, a group's `members` kept apart) and never-returned ones
(`password`: Seatplan keeps no password) are dropped, the rest is what a GET answers."""

from __future__ import annotations

from typing import Any

from scim2_models import Context, GroupMember

from .mapping import comparison_key
from .provider import GROUP_MODEL, USER_MODEL

_NOT_STORED = ("id", "meta", "members")


def etag(version: int) -> str:
    """The weak entity tag of a resource version (RFC 7644 §3.14)."""
    return f'W/"{version}"'


def stored_form(resource) -> dict[str, Any]:
    """What is kept of a validated resource."""
    data = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    for key in _NOT_STORED:
        data.pop(key, None)
    return data


def user_columns(resource) -> dict[str, Any]:
    """The indexed columns of a user resource, in comparison form where SCIM compares
    case-insensitively."""
    emails = [e for e in (resource.emails or []) if e.value]
    work = next((e for e in emails if str(e.type or "").lower() == "work"), None)
    return {
        "user_name": resource.user_name,
        "user_name_key": comparison_key(resource.user_name),
        "external_id": (resource.external_id or "")[:255],
        "work_email": comparison_key(work.value)[:254] if work else "",
        "display_name": (resource.display_name or "")[:255],
        "active": resource.active is not False,
    }


def group_columns(resource) -> dict[str, Any]:
    return {
        "display_name": (resource.display_name or "")[:255],
        "external_id": (resource.external_id or "")[:255],
    }


def _meta(row, resource_type: str, location: str) -> dict[str, Any]:
    return {
        "resourceType": resource_type,
        "created": row.created_at,
        "lastModified": row.updated_at,
        "location": location,
        "version": etag(row.version),
    }


def user_resource(row, base_url: str):
    """The SCIM user a stored row stands for."""
    data = {
        **row.resource,
        "id": str(row.id),
        "meta": _meta(row, "User", f"{base_url}/Users/{row.id}"),
    }
    return USER_MODEL.model_validate(data)


def group_resource(row, base_url: str, members: list[dict[str, Any]] | None):
    """The SCIM group a stored row stands for; `members` None leaves them out (a response that
    excludes them reads none)."""
    data = {
        **row.resource,
        "id": str(row.id),
        "meta": _meta(row, "Group", f"{base_url}/Groups/{row.id}"),
    }
    if members:
        data["members"] = [
            GroupMember(
                value=m["value"],
                ref=f"{base_url}/{m['endpoint']}/{m['value']}",
                type=m["type"],
                display=m["display"] or None,
            )
            for m in members
        ]
    return GROUP_MODEL.model_validate(data)
