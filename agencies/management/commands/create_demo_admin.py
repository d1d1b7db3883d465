"""`manage.py create_demo_admin`: the login for a local demo, printed once.

`make run` calls it on every start, so it only invents a password when the account is new or
`--reset` asks for one; otherwise the password someone already wrote down keeps working. It is a
demo helper and refuses to run with DEBUG off: real accounts come from `createsuperuser` or SSO.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEFAULT_ADMIN_URL = "http://127.0.0.1:8000/admin/"


class Command(BaseCommand):
    help = "Create the demo superuser (or give it a new password with --reset) and print the login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="Account name (default: admin).")
        parser.add_argument(
            "--url", default=DEFAULT_ADMIN_URL, help="Admin URL to print with the login."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Give an existing account a new random password and superuser rights.",
        )

    def handle(self, *args, username: str, reset: bool, url: str, **options):
        if not settings.DEBUG:
            raise CommandError(
                "create_demo_admin is a local demo helper and refuses to run with DEBUG off. "
                "Create real accounts with `manage.py createsuperuser`."
            )

        user_model = get_user_model()
        with transaction.atomic():
            user = (
                user_model._default_manager.select_for_update()
                .filter(**{user_model.USERNAME_FIELD: username})
                .first()
            )
            if user is not None and not reset:
                self.stdout.write(
                    f"Demo admin '{username}' already exists; its password is unchanged.\n"
                    f"  Log in at {url}\n"
                    f"  Forgot it? Run: python manage.py create_demo_admin --reset"
                )
                return

            created = user is None
            if created:
                user = user_model(**{user_model.USERNAME_FIELD: username})
            password = secrets.token_urlsafe(12)
            user.is_staff = True
            user.is_superuser = True
            user.is_active = True
            user.set_password(password)
            user.save()

        verb = "Created" if created else "Reset the password of"
        self.stdout.write(self.style.SUCCESS(f"{verb} demo admin '{username}'."))
        self.stdout.write(f"  URL:      {url}\n  Username: {username}\n  Password: {password}")
