"""Admin for identity: SCIM tokens (listed and revoked here; issued by `create_scim_token`, the
only place a token is ever shown), the users and groups the identity provider provisioned (read
only: the provider writes them), and the accounts people sign in with through it."""

from __future__ import annotations

from django.contrib import admin, messages

from .models import OidcAccount, ScimGroup, ScimGroupMember, ScimToken, ScimUser
from .services.tokens import scim_token_revoke


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the identity provider writes is looked at here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "state", "created_at", "created_by", "last_used_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    list_select_related = ("created_by",)
    readonly_fields = (
        "name",
        "prefix",
        "actor",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    )
    exclude = ("hashed_secret",)
    actions = ("revoke",)

    @admin.display(description="state")
    def state(self, token: ScimToken) -> str:
        return "revoked" if token.revoked_at else "active"

    @admin.action(description="Revoke the selected tokens (cannot be undone)")
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            scim_token_revoke(token=token)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)

    def has_add_permission(self, request):
        # A token is shown once, by `manage.py create_scim_token --name NAME`.
        return False

    def has_delete_permission(self, request, obj=None):
        # Revoked, never deleted: the row says which token made which change.
        return False


@admin.register(ScimUser)
class ScimUserAdmin(ReadOnlyAdmin):
    list_display = ("user_name", "employee", "active", "roster_note", "updated_at", "version")
    list_filter = ("active", ("employee", admin.EmptyFieldListFilter))
    search_fields = ("user_name_key", "external_id", "work_email")
    list_select_related = ("employee",)
    show_full_result_count = False
    readonly_fields = (
        "id",
        "user_name",
        "external_id",
        "work_email",
        "display_name",
        "active",
        "employee",
        "roster_note",
        "resource",
        "version",
        "created_at",
        "updated_at",
        "created_by",
    )
    exclude = ("user_name_key",)


class MemberInline(admin.TabularInline):
    model = ScimGroupMember
    fk_name = "group"
    fields = ("user", "member_group", "display")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScimGroup)
class ScimGroupAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "external_id", "updated_at", "version")
    search_fields = ("display_name", "external_id")
    readonly_fields = (
        "id",
        "display_name",
        "external_id",
        "resource",
        "version",
        "created_at",
        "updated_at",
        "created_by",
    )
    inlines = (MemberInline,)


@admin.register(OidcAccount)
class OidcAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "email", "issuer", "last_signed_in_at")
    search_fields = ("email", "subject", "user__username")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "issuer",
        "subject",
        "email",
        "groups",
        "first_signed_in_at",
        "last_signed_in_at",
    )
