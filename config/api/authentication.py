"""API keys for REST clients: `Authorization: Api-Key <key>` authenticates as the key's user.

Keys are stored hashed by djangorestframework-api-key (`agencies.UserAPIKey`); a revoked or
expired key, or one whose user is inactive, answers 401. The key itself is never logged or echoed:
refusals say only that the key is not valid."""

from __future__ import annotations

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_api_key.permissions import KeyParser

from agencies.models import UserAPIKey

from .sql import db_timestamp, table

KEYWORD = "Api-Key"


@functools.cache
def _lookup_sql() -> str:
    """The key, its user and the user's groups in one statement (one row per group). Written as
    SQL rather than built by the ORM: every API request runs it, and compiling a join with the
    user's groups on each request would cost more than executing it."""
    key, user = table(UserAPIKey), table(get_user_model())
    groups, members = table(Group), table(Group.user_set.through)
    return (
        f"SELECT k.id, k.hashed_key, k.expiry_date, u.id, u.username, u.is_active, "
        f"u.is_superuser, u.is_staff, g.name "
        f"FROM {key} k JOIN {user} u ON u.id = k.user_id "
        f"LEFT JOIN {members} m ON m.user_id = u.id LEFT JOIN {groups} g ON g.id = m.group_id "
        f"WHERE k.prefix = %s AND k.revoked = %s"
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """DRF authentication by a user's hashed API key; `request.auth` is the `UserAPIKey`."""

    key_parser = KeyParser()

    def authenticate(self, request):
        key = self.key_parser.get(request)
        if key is None:
            return None  # no key offered: let session authentication try
        key = key.strip()
        invalid = exceptions.AuthenticationFailed("The API key is not valid.")
        if not key or len(key) > 200:
            raise invalid
        prefix, _, _ = key.partition(".")
        with connection.cursor() as cursor:
            cursor.execute(_lookup_sql(), [prefix[:8], False])
            rows = cursor.fetchall()
        if not rows:
            raise invalid
        key_id, hashed, expiry, user_id, username, is_active, is_superuser, is_staff, _ = rows[0]
        if not UserAPIKey.objects.key_generator.verify(key, hashed):
            raise invalid
        # The user with the fields authentication reads; any other is loaded if asked for.
        User = get_user_model()
        known = {
            "id": user_id,
            "username": username,
            "is_active": bool(is_active),
            "is_superuser": bool(is_superuser),
            "is_staff": bool(is_staff),
        }
        names = [f.attname for f in User._meta.concrete_fields if f.attname in known]
        user = User.from_db(connection.alias, names, [known[n] for n in names])
        api_key = UserAPIKey(
            id=key_id,
            prefix=prefix,
            hashed_key=hashed,
            expiry_date=db_timestamp(expiry),
            user=user,
        )
        # One answer for every refusal (unknown, wrong secret, revoked, expired, inactive user):
        # which one it was would tell a holder of a stolen key whether it is worth keeping.
        if api_key.has_expired or not user.is_active:
            raise invalid
        # `has_role` keeps the role names it finds on the user for the rest of the request;
        # they came with the key, so it asks the database nothing more.
        user._role_names = {row[-1] for row in rows if row[-1]}
        return user, api_key

    def authenticate_header(self, request) -> str:
        # Also makes DRF answer 401 (not 403) to a request without credentials.
        return f'{KEYWORD} realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`, the key printed by `manage.py create_api_user`.",
        }
