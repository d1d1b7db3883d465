from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing every app may import: the long-job row and the outbox of events."""

    name = "core"
    verbose_name = "Jobs and events"
