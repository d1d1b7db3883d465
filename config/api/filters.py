"""Strict filter types shared by every app's filtersets: a malformed id, day or boolean in a
query string is bad input (400 naming the parameter), never silently ignored."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from .serializers import (
    DATE_PATTERN,
    MAX_DAY,
    MIN_DAY,
    NOT_CANONICAL_ID,
    StrictDateField,
    canonical_id,
)

MAX_ID = 2**63 - 1


class StrictFilterSet(django_filters.FilterSet):
    """A filterset that refuses a parameter given with no value (`?status=`) unless it is free
    text: an empty id, day, boolean or choice is a mistake, not a wish to see everything."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if (
                not isinstance(filter_, django_filters.CharFilter)
                and name in self.data
                and self.data.get(name) == ""
            ):
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid


class _IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        # Django's IntegerField reads " 7", "+7", "07" and full-width digits as 7.
        if value not in self.empty_values and canonical_id(str(value)) is None:
            raise forms.ValidationError(NOT_CANONICAL_ID)
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    """A primary key, as a positive 64-bit integer."""

    field_class = _IdField


class _DayField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return StrictDateField().to_internal_value(value)
        except Exception as exc:
            raise forms.ValidationError(
                f"Enter a date as YYYY-MM-DD between {MIN_DAY} and {MAX_DAY}."
            ) from exc


@extend_schema_field({"type": "string", "format": "date", "pattern": DATE_PATTERN})
class DayFilter(django_filters.Filter):
    """A calendar day written exactly as YYYY-MM-DD."""

    field_class = _DayField


class _BoolField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text not in ("true", "false"):
            raise forms.ValidationError("Enter true or false.")
        return text == "true"


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(django_filters.Filter):
    """`true` or `false`; anything else is refused."""

    field_class = _BoolField
