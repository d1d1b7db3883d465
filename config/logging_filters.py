"""A logging filter that keeps secrets and personal data out of every log line.

Seatplan's own code logs ids, never keys, names or addresses; this filter is the second line of
defence for what libraries and exception texts may carry (an `IntegrityError` quoting an email,
a header echoed by a client library). Before a handler writes a record it replaces:

- `Api-Key <key>` and `Authorization: ...` values, and bare keys shaped like the ones
  djangorestframework-api-key issues (`<8 chars>.<32 chars>`) or like SCIM bearer tokens
  (`scim.<prefix>.<secret>`, identity/services/tokens.py), with `[redacted-key]`;
- email addresses with `[redacted-email]`.

Names cannot be recognised by pattern, so the code does not log them (tests/security/
test_logging.py holds it to that). Wiring: a `filters` entry on the console handler, as
config/settings/production.py does:

    LOGGING["filters"] = {"redact": {"()": "config.logging_filters.RedactingFilter"}}
    LOGGING["handlers"]["console"]["filters"] = ["redact"]
"""

from __future__ import annotations

import logging
import re

KEY_MARK = "[redacted-key]"
EMAIL_MARK = "[redacted-email]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(api-key\s+)[^\s'\",;]+"), rf"\g<1>{KEY_MARK}"),
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:\w+\s+)?[^\s'\",;]+"),
        rf"\g<1>{KEY_MARK}",
    ),
    (re.compile(r"\b[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}\b"), KEY_MARK),
    (re.compile(r"\bscim\.[0-9a-f]{6,32}\.[A-Za-z0-9_-]{16,}"), KEY_MARK),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), EMAIL_MARK),
)


def redact(text: str) -> str:
    """`text` with keys, Authorization values and email addresses replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the record's message (arguments merged in) and its traceback text; never drops
    a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to logging's own report
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
