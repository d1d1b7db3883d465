"""`manage.py create_scim_token --name NAME [--revoke-existing]`: issue a bearer token for the
identity provider's SCIM connection, printed alone on the last line (the only time it is ever
shown; only its hash is stored)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import BusinessRuleError
from identity.services.tokens import actor_username, scim_token_create


class Command(BaseCommand):
    help = (
        "Issue a SCIM bearer token named NAME (e.g. entra, okta). Changes made with it are "
        "recorded as the user scim.NAME. The token is printed alone on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The identity provider's name.")
        parser.add_argument(
            "--revoke-existing",
            action="store_true",
            help="Revoke the earlier tokens of this name (rotation).",
        )

    def handle(self, *args, name: str, revoke_existing: bool, **options):
        try:
            token, raw = scim_token_create(name=name, revoke_existing=revoke_existing)
        except BusinessRuleError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(
            f"SCIM token '{token.name}' ({token.prefix}…) issued; changes are recorded as "
            f"{actor_username(token.name)}."
        )
        if revoke_existing:
            self.stdout.write("Earlier tokens of this name are revoked.")
        self.stdout.write(
            "Give the identity provider the base URL https://<host>/scim/v2/ and this token "
            "(Authorization: Bearer <token>). Store it now: it is not shown again. The token:"
        )
        self.stdout.write(raw)
