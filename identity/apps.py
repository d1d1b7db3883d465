from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Sign-in through the state's identity provider (OpenID Connect) and the roster kept by its
    SCIM 2.0 provisioning: accounts, role mapping, SCIM tokens, users and groups."""

    name = "identity"
    verbose_name = "Identity (SSO and SCIM)"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
