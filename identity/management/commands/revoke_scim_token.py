"""`manage.py revoke_scim_token --name NAME | --prefix PREFIX`: revoke SCIM tokens (the next
request made with one answers 401)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.models import ScimToken
from identity.services.tokens import scim_token_revoke


class Command(BaseCommand):
    help = "Revoke every active SCIM token of a name, or the one with a prefix."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--name")
        which.add_argument("--prefix")

    def handle(self, *args, name: str | None, prefix: str | None, **options):
        tokens = ScimToken.objects.filter(revoked_at__isnull=True)
        tokens = tokens.filter(name=name) if name else tokens.filter(prefix=prefix)
        found = list(tokens)
        if not found:
            raise CommandError("No active SCIM token matches.")
        for token in found:
            scim_token_revoke(token=token)
            self.stdout.write(f"Revoked SCIM token '{token.name}' ({token.prefix}…).")
