"""What Microsoft Entra ID sends that RFC 7644 does not quite allow, mended before validation
when only one reading is possible. (Its other departures, capitalised operations, a `value` on
`remove`, a path filter naming an entry that does not exist yet, "False" as a string, are read
by scim2-models under the service's policy, identity/scim/provider.py.)"""

from __future__ import annotations

from typing import Any

_MANAGER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager"


def _mend(operation: dict) -> None:
    path = str(operation.get("path") or "").lower()
    value = operation.get("value")
    if path == _MANAGER and isinstance(value, str):
        operation["value"] = {"value": value}
    if str(operation.get("op", "")).lower() == "remove" and isinstance(value, list):
        # `{"$ref": null, "value": id}`: the null says nothing, and would match no member.
        operation["value"] = [
            {k: v for k, v in item.items() if v is not None} if isinstance(item, dict) else item
            for item in value
        ]


def patch_body(payload: Any) -> Any:
    """Entra ID sets the enterprise `manager` with the manager's id as a bare string (the
    attribute is complex, `{"value": id}`), and removes group members it names with a null
    `$ref` beside their id."""
    if not isinstance(payload, dict):
        return payload
    for key in list(payload):
        if key.lower() == "operations" and isinstance(payload[key], list):
            for operation in payload[key]:
                if isinstance(operation, dict):
                    _mend(operation)
    return payload
