from django.db import models


class LowercaseEmailField(models.EmailField):
    """An email stored lower-case on every write path, bulk_create and update() included, so the
    case-insensitive unique constraint and look-ups agree with what is stored."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.strip().lower() if isinstance(value, str) else value

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().lower() if isinstance(value, str) else value
