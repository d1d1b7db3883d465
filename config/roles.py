"""The four roles (docs/api.md), held as Django groups. Services ask `has_role`; the API's
permission classes and the pages ask the same question, so a role means one thing everywhere."""

ROLLOUT_MANAGER = "rollout_manager"
FINANCE = "finance"
AGENCY_COORDINATOR = "agency_coordinator"
API_READER = "api_reader"
ROLES = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER)


def has_role(user, role: str) -> bool:
    """True for a superuser or a member of the role's group. The group names are cached on the
    user object for the rest of the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    names = getattr(user, "_role_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._role_names = names
    return role in names
