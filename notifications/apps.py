from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Telling people and other systems when it matters: the catalogue of events, signed
    webhooks (Standard Webhooks) and email, each delivered from the outbox."""

    name = "notifications"
    verbose_name = "Notifications"
