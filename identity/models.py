"""What the identity app keeps: who signs in through the identity provider, the tokens the
provider provisions with, and the users and groups it provisioned over SCIM 2.0."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class OidcAccount(models.Model):
    """A person's account at the state's identity provider (the `iss` and `sub` of their ID
    token), linked to the Seatplan user it signs in as. The pair, never the e-mail address, is
    what recognises a returning person: an address can be reassigned, a subject cannot.

    `groups` is the groups claim of the last sign-in, kept to show in the admin why the user has
    the roles they have (roles are re-applied from it at every sign-in)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_account"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    email = models.CharField(max_length=254, blank=True)
    groups = models.JSONField(default=list, blank=True)
    first_signed_in_at = models.DateTimeField()
    last_signed_in_at = models.DateTimeField()

    class Meta:
        verbose_name = "OpenID Connect account"
        ordering = ["-last_signed_in_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="identity_oidcaccount_issuer_subject_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email or self.subject} ({self.issuer})"


class ScimToken(models.Model):
    """A bearer token an identity provider authenticates to `/scim/v2/` with. Only a hash of the
    secret is stored (the token is shown once, by `create_scim_token`); `prefix` finds the row
    without comparing every hash. A token is revoked, never un-revoked.

    `actor` is the user every change made with the token is recorded under (employee history,
    seat events): a user that cannot sign in, named `scim.<name>`, shared by every token of that
    name, so a rotation keeps one name in the history."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_secret = models.CharField(max_length=128)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scim_tokens"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SCIM token"
        ordering = ["name", "-created_at"]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.name} ({self.prefix}…, {state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimUser(models.Model):
    """A user the identity provider provisioned over SCIM, as it last wrote them, and the
    employee of the roster they stand for.

    `resource` is the SCIM resource as written (validated by scim2-models, without `id`, `meta`
    or any password), so what a provider writes it reads back. The columns beside it are what
    look-ups and filters need indexed, in their comparison form (`user_name_key`, `work_email`).
    The employee is a projection of the resource (identity/scim/mapping.py): linked when the
    resource names an employee number or a work e-mail and an agency Seatplan knows;
    `roster_note` says why not, or what could not be applied."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    employee = models.OneToOneField(
        "agencies.Employee",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scim_user",
    )
    user_name = models.CharField(max_length=255)
    user_name_key = models.CharField(max_length=255, unique=True)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    work_email = models.CharField(max_length=254, blank=True, db_index=True)
    display_name = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)
    resource = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    roster_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by = models.ForeignKey(
        ScimToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "SCIM user"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="identity_scimuser_newest")]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    """A group the identity provider provisioned over SCIM. A group named in the role map or
    in `SCIM_GROUP_MAP` gives its members a role or an agency (identity/rolemap.py); any other
    group is stored as given and means nothing to Seatplan. Members live in `ScimGroupMember`,
    the rest of the resource in `resource` (without `id`, `meta` or `members`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    resource = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by = models.ForeignKey(
        ScimToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "SCIM group"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["display_name"], name="identity_scimgroup_name")]

    def __str__(self) -> str:
        return self.display_name


class ScimGroupMember(models.Model):
    """One member of a SCIM group: a provisioned user or another group."""

    group = models.ForeignKey(ScimGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        ScimUser, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    member_group = models.ForeignKey(
        ScimGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    display = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(member_group__isnull=True))
                | (Q(user__isnull=True) & Q(member_group__isnull=False)),
                name="identity_scimgroupmember_one_kind",
            ),
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=Q(user__isnull=False),
                name="identity_scimgroupmember_user_unique",
            ),
            models.UniqueConstraint(
                fields=["group", "member_group"],
                condition=Q(member_group__isnull=False),
                name="identity_scimgroupmember_group_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.member_group} in {self.group}"
