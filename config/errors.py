"""The one refusal every service raises when a business rule says no.

Views turn it into the API's error shape (`{"code", "detail", "fields"}`, HTTP 409), commands
into a clear message, so a refusal reads the same wherever it surfaces."""


class BusinessRuleError(Exception):
    """A rule refused the action: `code` is machine-readable (`ceiling_reached`, `quota_full`,
    …), `detail` a plain sentence for a person, `context` the figures behind it."""

    def __init__(self, code: str, detail: str, **context):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.context = context

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"
