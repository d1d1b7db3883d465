"""What the SCIM service provider at /scim/v2/ is, in scim2-models' terms: its resource models
(User with the enterprise extension, Group), its resource types, its ServiceProviderConfig and
the policy it reads payloads under.

The policy is the strict reading of RFC 7643/7644 except where Microsoft Entra ID departs from
it and nothing else could be meant: a PATCH `remove` carrying a `value` removes that value
(Entra removes group members so), and an `add`/`replace` whose path filter matches no entry
creates it (`emails[type eq "work"].value` on a user with no work address yet). Attributes no
schema declares are dropped rather than refused, so an identity provider that sends more than
Seatplan keeps (a custom extension, a Okta profile attribute) still provisions the person; what
was dropped is never read back, which the provider learns from the returned resource."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Pagination,
    Patch,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

USER_MODEL = User[EnterpriseUser]
GROUP_MODEL = Group
ENTERPRISE = str(EnterpriseUser.__schema__)
USER_SCHEMA = str(User.__schema__)
GROUP_SCHEMA = str(Group.__schema__)

POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def page_size() -> int:
    return int(getattr(settings, "SCIM_PAGE_SIZE", 100))


def max_page_size() -> int:
    return int(getattr(settings, "SCIM_MAX_PAGE_SIZE", 1000))


def service_provider_config() -> ServiceProviderConfig:
    """What the service announces on /ServiceProviderConfig. Bulk, sorting, password change and
    cursors are not offered; filters, PATCH and ETags are."""
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=max_page_size()),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        pagination=Pagination(
            cursor=False,
            index=True,
            default_pagination_method=Pagination.DefaultPaginationMethod.index,
            default_page_size=page_size(),
            max_page_size=max_page_size(),
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token from `manage.py create_scim_token --name NAME`, sent as "
                "`Authorization: Bearer <token>`.",
                primary=True,
            )
        ],
    )


@lru_cache(maxsize=1)
def _static_provider() -> ScimProvider:
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[ResourceType.from_resource(USER_MODEL), ResourceType.from_resource(Group)],
        policy=POLICY,
    )


def provider() -> ScimProvider:
    """The service's description, with the configuration of the current settings (page sizes
    come from the environment)."""
    static = _static_provider()
    return ScimProvider(
        models=static.models,
        resource_types=static.resource_types,
        config=service_provider_config(),
        policy=POLICY,
    )
