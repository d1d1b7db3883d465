"""Password sign-in, switchable: with `PASSWORD_LOGIN=false` only a superuser may sign in
with a password (the break-glass account, for when the identity provider is down); everyone
else signs in through the identity provider."""

from __future__ import annotations

from config.login_throttle import LoginThrottleBackend

from .conf import password_login


class PasswordBackend(LoginThrottleBackend):
    """The login throttle's password backend (a locked sign-in refused before the password is
    tried), refusing every account but a superuser's while password sign-in is off, and ending
    the password sessions of the others (they sign in again through the identity provider)."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return password_login() or bool(getattr(user, "is_superuser", False))
