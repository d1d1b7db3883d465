"""Cell values from CSV (always text) and XLSX (text, numbers, dates) turned into Python values,
each refusal a short reason a person can act on. Shared by the roster and usage imports."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}/\d{1,2}/\d{2}")
# Our exports put an apostrophe before a cell that a spreadsheet would run as a formula
# (licensing.exports); reading such a file back takes it off again, so a round trip is exact.
_ESCAPED = re.compile(r"'(?=[=+\-@\t\r])")

DATE_HINT = "use YYYY-MM-DD or MM/DD/YYYY"


class BadValue(ValueError):
    """A cell that cannot be used; the message is the reason."""


def text(value) -> str:
    """A cell as trimmed text ('' when empty). Whole numbers from a spreadsheet lose the '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    result = str(value).strip()
    return result[1:] if _ESCAPED.match(result) else result


def date(value) -> dt.date | None:
    """ISO (YYYY-MM-DD) or US (MM/DD/YYYY) text, or a spreadsheet date; None when empty."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise BadValue(f"{value:g} is a number, not a date: {DATE_HINT}")
    raw = text(value)
    if not raw:
        return None
    if m := _ISO.fullmatch(raw):
        year, month, day = (int(g) for g in m.groups())
    elif m := _US.fullmatch(raw):
        month, day, year = (int(g) for g in m.groups())
    elif _TWO_DIGIT_YEAR.fullmatch(raw):
        raise BadValue(f"'{raw}' has a two-digit year: {DATE_HINT}")
    else:
        raise BadValue(f"'{raw}' is not a date: {DATE_HINT}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadValue(f"'{raw}' is not a real date ({DATE_HINT})") from None


def email(value) -> str:
    """A trimmed, lower-cased e-mail address; '' when empty."""
    raw = text(value).lower()
    if not raw:
        return ""
    if raw.startswith("mailto:"):
        raw = raw[len("mailto:") :]
    try:
        validate_email(raw)
    except ValidationError:
        raise BadValue(f"'{raw}' is not a valid e-mail address") from None
    return raw


def count(value) -> int:
    """A non-negative whole number ('' counts as 0)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, float):
        if not value.is_integer():
            raise BadValue(f"{value:g} is not a whole number")
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raw = text(value).replace(",", "")
        if not re.fullmatch(r"\d+(\.0+)?", raw):
            raise BadValue(f"'{raw}' is not a whole number")
        number = int(float(raw)) if "." in raw else int(raw)
    if number < 0:
        raise BadValue(f"{number} is negative")
    return number
