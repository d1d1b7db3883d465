"""Serializer building blocks shared by every app's API: the error body, strict writes (mass
assignment refused, JSON types taken as they are, never coerced), canonical ids and strict ISO
dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Dates outside this window are refused up front: they mean nothing for a contract, and the far
# ends of the calendar overflow when a day is turned into its local midnight.
MIN_DAY = dt.date(2000, 1, 1)
MAX_DAY = dt.date(2199, 12, 31)
DATE_PATTERN = r"^2[01]\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An id written the one way: ASCII digits, no sign, no space, no leading zero. `int()` would also
# read " 7", "+7", "07" and full-width "７" as 7; a system that acts on ids must not guess.
CANONICAL_ID = re.compile(r"^(0|[1-9][0-9]*)$", re.ASCII)
MAX_ID = 2**63 - 1
NOT_CANONICAL_ID = "Write the id as digits only: no sign, space or leading zero."


def canonical_id(text: str) -> int | None:
    """The id a path or query segment names, or None when it is not written canonically."""
    if not isinstance(text, str) or not CANONICAL_ID.match(text):
        return None
    return int(text)


class ErrorSerializer(serializers.Serializer):
    """The one error body every endpoint answers with, whatever went wrong."""

    code = serializers.CharField(
        help_text="Machine-readable reason: `invalid`, `parse_error`, `not_authenticated`, "
        "`authentication_failed`, `permission_denied`, `not_found`, `method_not_allowed`, "
        "`not_acceptable`, `too_large`, `uri_too_long`, `unsupported_media_type`, "
        "`headers_too_large`, `throttled`, or a business rule's code "
        "(`ceiling_reached`, `quota_full`, `held_for_bargaining`, `invalid_transition`, …)."
    )
    detail = serializers.CharField(help_text="One sentence for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Input errors by field name (dotted for nested input, e.g. `changes.0.wave`); "
        "empty unless the input was invalid.",
    )


class RefusalSerializer(serializers.Serializer):
    """A business refusal (409): the error shape, with the figures behind it as `fields`."""

    code = serializers.CharField(
        help_text="The rule that refused: `ceiling_reached`, `contract_ended`, `quota_full`, "
        "`held_for_bargaining`, `invalid_transition`, `gates_failing`, `wave_not_planned`, …"
    )
    detail = serializers.CharField(help_text="One sentence for a person, with the figures.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The figures behind the refusal, by name (e.g. `headroom_seats`, "
        "`ceiling_amount`, `seat_quota`, `current_status`, `failing`); empty when it has none.",
    )


@extend_schema_field({"type": "string", "format": "date", "pattern": DATE_PATTERN})
class StrictDateField(serializers.Field):
    """A calendar day written exactly as YYYY-MM-DD, between 2000-01-01 and 2199-12-31."""

    default_error_messages = {
        "invalid": "Enter a date as YYYY-MM-DD.",
        "range": "Enter a date between 2000-01-01 and 2199-12-31.",
    }

    def to_internal_value(self, data) -> dt.date:
        if not isinstance(data, str) or not _DATE_RE.match(data):
            self.fail("invalid")
        try:
            day = dt.date.fromisoformat(data)
        except ValueError:
            self.fail("invalid")
        if not MIN_DAY <= day <= MAX_DAY:
            self.fail("range")
        return day

    def to_representation(self, value) -> str:
        return value.isoformat()


class IdField(serializers.PrimaryKeyRelatedField):
    """A related object by its id: a JSON integer, nothing else, so `1.5`, `true` or `"07"` is
    not quietly read as an object."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


# What each kind of input field takes from a JSON body, checked before DRF's own conversion
# (which reads 0 as false, 7 as "7" and "7" as 7). Order matters: the first match decides.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "Must be a JSON boolean: true or false."),
    (serializers.ChoiceField, (str,), "Must be a JSON string."),
    (serializers.CharField, (str,), "Must be a JSON string."),
    (serializers.IntegerField, (int,), "Must be a JSON integer."),
)


def json_type_error(field: serializers.Field, value) -> str | None:
    """Why `value`, as parsed from JSON, is the wrong type for `field` (None: it is not)."""
    if value is None:
        return None  # DRF's own null handling answers ("may not be null") where it must
    for kind, types, message in _JSON_TYPES:
        if isinstance(field, kind):
            wrong_bool = isinstance(value, bool) and bool not in types
            return message if wrong_bool or not isinstance(value, types) else None
    return None


class StrictInputMixin:
    """Refuse writes that carry fields the endpoint does not take (mass assignment), or values
    of the wrong JSON type.

    DRF silently drops unknown and read-only keys; here they answer 400 and are named, so a
    client that tries to set `status` learns that only the lifecycle actions change it.
    `read_only_names` lists the resource's fields a client might expect to write.

    DRF also coerces: `{"dry_run": 0}` is false, `{"reason": 0}` is "0". A human-in-the-loop
    system must not guess what was meant, so every boolean field takes only `true`/`false`,
    every text or choice field only a JSON string and every integer field only a JSON integer;
    anything else is a 400 naming the field. The schema says the same (`additionalProperties:
    false` on these bodies, config/api/schema.py)."""

    read_only_names: frozenset[str] = frozenset()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            extra = sorted(set(data) - writable)
            if extra:
                raise serializers.ValidationError(
                    {
                        name: [
                            "This field is read-only."
                            if name in self.fields or name in self.read_only_names
                            else "Unknown field."
                        ]
                        for name in extra
                    }
                )
            wrong = {
                name: [message]
                for name in sorted(set(data) & writable)
                if (message := json_type_error(self.fields[name], data[name]))
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class StrictSerializer(StrictInputMixin, serializers.Serializer):
    """A plain input serializer that refuses unknown fields."""


class QuerySerializer(serializers.Serializer):
    """Validates query parameters: a parameter given with no value (`?as_of=`) is refused, as
    any other malformed value is, instead of being read as "not given"."""

    @classmethod
    def parse(cls, query) -> dict:
        """The same validation with the declared fields as they are, without building a
        serializer (which copies every field first): for endpoints polled all day."""
        data, errors = {}, {}
        for name, field in cls._declared_fields.items():
            raw = query.get(name)
            if raw is None:
                if field.required:
                    errors[name] = [str(field.error_messages["required"])]
                elif field.default is not serializers.empty:
                    data[name] = field.get_default()
                continue
            if raw == "":
                errors[name] = ["Give a value, or leave the parameter out."]
                continue
            if isinstance(field, serializers.IntegerField) and canonical_id(raw) is None:
                errors[name] = [NOT_CANONICAL_ID]
                continue
            try:
                data[name] = field.run_validation(raw)
            except serializers.ValidationError as exc:
                errors[name] = [str(m) for m in exc.detail]
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def to_internal_value(self, data):
        empty = sorted(
            name for name in self.fields if hasattr(data, "get") and data.get(name, None) == ""
        )
        if empty:
            raise serializers.ValidationError(
                {name: ["Give a value, or leave the parameter out."] for name in empty}
            )
        noncanonical = sorted(
            name
            for name, field in self.fields.items()
            if isinstance(field, serializers.IntegerField)
            and hasattr(data, "get")
            and data.get(name) is not None
            and canonical_id(data.get(name)) is None
        )
        if noncanonical:
            raise serializers.ValidationError({name: [NOT_CANONICAL_ID] for name in noncanonical})
        return super().to_internal_value(data)


class ReasonSerializer(StrictSerializer):
    """The body of a lifecycle action: an optional reason, written to the event log."""

    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", trim_whitespace=True
    )


def validated(serializer_class, request, data=None, **context) -> dict:
    """Validate a request's body (or `data`, e.g. its query parameters) with `serializer_class`;
    invalid input raises the 400 the exception handler shapes."""
    serializer = serializer_class(
        data=request.data if data is None else data, context={"request": request, **context}
    )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
