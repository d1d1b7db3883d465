"""OpenID Connect sign-in (mozilla-django-oidc), configured from the environment and the
provider's discovery document."""
