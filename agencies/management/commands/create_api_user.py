"""`manage.py create_api_user --username U --role ROLE [--agency CODE ...]`: create or update an
API user and issue them a new hashed API key, printed alone on the last line (the only time it
is ever shown)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, CoordinatorAgency, UserAPIKey
from config.roles import AGENCY_COORDINATOR, ROLES


class Command(BaseCommand):
    help = (
        "Create or update an API user in one role, set a coordinator's agencies, and issue a new "
        "API key. The key is printed alone on the last line; only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument(
            "--agency",
            action="append",
            default=[],
            metavar="CODE",
            help="An agency the coordinator acts for (repeat for several); "
            "agency_coordinator only, and required for it.",
        )
        parser.add_argument("--email", default=None, help="Contact address of the key's owner.")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="The key stops working after this many days (default: never).",
        )
        parser.add_argument(
            "--revoke-existing",
            action="store_true",
            help="Revoke the user's earlier keys (rotation).",
        )

    def handle(self, *args, username, role, agency, email, expires_in_days, revoke_existing, **_):
        codes = sorted({c.strip().upper() for c in agency if c.strip()})
        if role == AGENCY_COORDINATOR and not codes:
            raise CommandError("An agency_coordinator needs at least one --agency CODE.")
        if role != AGENCY_COORDINATOR and codes:
            raise CommandError("--agency applies only to the agency_coordinator role.")
        if expires_in_days is not None and expires_in_days < 1:
            raise CommandError("--expires-in-days must be at least 1.")
        agencies = list(Agency.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {a.code.upper() for a in agencies})
        if missing:
            raise CommandError(f"No agency with code {', '.join(missing)}.")

        with transaction.atomic():
            user, created = self._user(username, email)
            self._role(user, role)
            CoordinatorAgency.objects.filter(user=user).exclude(agency__in=agencies).delete()
            for a in agencies:
                CoordinatorAgency.objects.get_or_create(user=user, agency=a)
            revoked = 0
            if revoke_existing:
                revoked = UserAPIKey.objects.filter(user=user, revoked=False).update(revoked=True)
            expiry = (
                timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
            )
            stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
            _, key = UserAPIKey.objects.create_key(
                user=user, name=f"{username} {stamp}"[:50], expiry_date=expiry
            )

        self.stdout.write(f"{'Created' if created else 'Updated'} user {username} as {role}.")
        if agencies:
            self.stdout.write(f"Agencies: {', '.join(a.code for a in agencies)}.")
        if revoked:
            self.stdout.write(f"Revoked {revoked} earlier key(s).")
        self.stdout.write(
            f"New API key, expires {expiry:%Y-%m-%d %H:%M %Z}."
            if expiry
            else "New API key, no expiry. Store it now: it is not shown again."
        )
        self.stdout.write("Send it as the header `Authorization: Api-Key <key>`. The key:")
        self.stdout.write(key)

    def _user(self, username: str, email: str | None):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=email or "")
            # An API user signs in with keys only.
            user.set_unusable_password()
            user.save()
            return user, True
        if email is not None and user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        return user, False

    def _role(self, user, role: str) -> None:
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
        user.groups.remove(*[g for name, g in groups.items() if name != role])
        user.groups.add(groups[role])
