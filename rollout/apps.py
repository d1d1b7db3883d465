from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = "Rollout"

    def ready(self) -> None:
        from . import signals

        signals.connect()
