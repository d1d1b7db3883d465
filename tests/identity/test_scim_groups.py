"""SCIM groups: stored as given, with their members; a group the role map or SCIM_GROUP_MAP
names gives its members' people a role or places their employee in an agency, and taking a
member out (or the group away) takes that back at once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from agencies.models import CoordinatorAgency
from identity.models import OidcAccount, ScimGroup
from tests.factories import AgencyFactory

from .conftest import GROUP_SCHEMA, patch_body, provisioned


def group_body(name: str, *member_ids: str, **extra) -> dict:
    return {
        "schemas": [GROUP_SCHEMA],
        "displayName": name,
        "members": [{"value": m} for m in member_ids],
        **extra,
    }


def sso_person(email: str, *roles: str):
    """Someone who signs in through the identity provider with this address."""
    user = get_user_model().objects.create_user(email.split("@")[0], email)
    now = timezone.now()
    OidcAccount.objects.create(
        user=user, issuer="i", subject=email, first_signed_in_at=now, last_signed_in_at=now
    )
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


@pytest.fixture
def two(scim, dor):
    return [
        provisioned(scim, f"u{n}@mass.example.gov", number=f"50{n}", externalId=f"u{n}")["id"]
        for n in range(2)
    ]


def test_create__members_listed_with_reference_and_type(scim, two):
    response = scim.post("/Groups", group_body("Finance team", *two, externalId="g-1"))
    body = response.json()
    assert response.status_code == 201, body
    assert body["externalId"] == "g-1"
    assert {m["value"] for m in body["members"]} == set(two)
    member = body["members"][0]
    assert member["type"] == "User"
    assert member["$ref"] == f"http://testserver/scim/v2/Users/{member['value']}"


def test_get__excluded_members__left_out(scim, two):
    group = scim.post("/Groups", group_body("G", *two)).json()
    body = scim.get(f"/Groups/{group['id']}", excludedAttributes="members").json()
    assert "members" not in body and body["displayName"] == "G"


def test_filter__display_name_and_member__found(scim, two):
    group = scim.post("/Groups", group_body("Finance team", two[0])).json()
    scim.post("/Groups", group_body("Other", two[1]))
    by_name = scim.get("/Groups", filter='displayName eq "finance TEAM"').json()
    by_member = scim.get("/Groups", filter=f'members.value eq "{two[0]}"').json()
    assert [g["id"] for g in by_name["Resources"]] == [group["id"]]
    assert [g["id"] for g in by_member["Resources"]] == [group["id"]]


def test_patch__entra_add_and_remove_members__applied(scim, two):
    group = scim.post("/Groups", group_body("G")).json()
    path = f"/Groups/{group['id']}"

    added = scim.patch(
        path, patch_body({"op": "Add", "path": "members", "value": [{"value": v} for v in two]})
    )
    assert added.status_code == 200
    assert {m["value"] for m in scim.get(path).json()["members"]} == set(two)

    scim.patch(path, patch_body({"op": "Remove", "path": "members", "value": [{"value": two[0]}]}))
    scim.patch(path, patch_body({"op": "remove", "path": f'members[value eq "{two[1]}"]'}))
    assert "members" not in scim.get(path).json()


def test_create__unknown_member__400_invalid_value(scim, db):
    response = scim.post("/Groups", group_body("G", "00000000-0000-0000-0000-000000000001"))
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert not ScimGroup.objects.exists()


def test_delete__user__leaves_every_group(scim, two):
    group = scim.post("/Groups", group_body("G", *two)).json()
    scim.delete(f"/Users/{two[0]}")
    members = scim.get(f"/Groups/{group['id']}").json()["members"]
    assert [m["value"] for m in members] == [two[1]]


def test_mapped_group__membership_gives_and_takes_the_role_at_once(scim, two, settings):
    # Given the role map, and the person who signs in with the first user's address
    settings.OIDC_ROLE_MAP = "rollout_manager=SG-AI-Rollout,finance=SG-AI-Finance"
    person = sso_person("u0@mass.example.gov", "finance")

    # When the provider puts the user in the rollout group
    group = scim.post("/Groups", group_body("SG-AI-Rollout", two[0])).json()

    # Then they are a rollout manager; finance (whose group SCIM does not provision) stays
    assert roles_of(person) == {"rollout_manager", "finance"}

    # When the provider takes them out of the group
    scim.patch(
        f"/Groups/{group['id']}",
        patch_body({"op": "Remove", "path": "members", "value": [{"value": two[0]}]}),
    )

    # Then the role is gone at once, not at their next sign-in
    assert roles_of(person) == {"finance"}


def test_mapped_group__matched_by_external_id_too(scim, two, settings):
    # Entra ID's groups claim carries object ids; its SCIM groups carry them as externalId.
    settings.OIDC_ROLE_MAP = "finance=2b7a5c3e-0000-4000-8000-000000000001"
    person = sso_person("u1@mass.example.gov")
    scim.post(
        "/Groups",
        group_body("AI Finance", two[1], externalId="2b7a5c3e-0000-4000-8000-000000000001"),
    )
    assert roles_of(person) == {"finance"}


def test_mapped_coordinator_group__agency_given_and_taken_back_on_delete(scim, two, settings):
    AgencyFactory(code="EOTSS", name="EOTSS")
    settings.OIDC_ROLE_MAP = "agency_coordinator:EOTSS=SG-AI-EOTSS"
    person = sso_person("u0@mass.example.gov")
    group = scim.post("/Groups", group_body("SG-AI-EOTSS", two[0])).json()
    assert roles_of(person) == {"agency_coordinator"}
    assert CoordinatorAgency.objects.filter(user=person, agency__code="EOTSS").exists()

    assert scim.delete(f"/Groups/{group['id']}").status_code == 204

    assert roles_of(person) == set()
    assert not CoordinatorAgency.objects.filter(user=person).exists()


def test_unmapped_group__stored_as_given_no_role_touched(scim, two, settings):
    settings.OIDC_ROLE_MAP = "finance=SG-AI-Finance"
    person = sso_person("u0@mass.example.gov", "finance")
    body = scim.post("/Groups", group_body("Book club", two[0], externalId="bc")).json()
    assert scim.get(f"/Groups/{body['id']}").json()["displayName"] == "Book club"
    assert roles_of(person) == {"finance"}


def test_password_account_with_the_address__roles_left_to_the_administrator(scim, two, settings):
    settings.OIDC_ROLE_MAP = "rollout_manager=SG-AI-Rollout"
    password_user = get_user_model().objects.create_user("u0", "u0@mass.example.gov", "pw")
    scim.post("/Groups", group_body("SG-AI-Rollout", two[0]))
    assert roles_of(password_user) == set()


def test_renamed_into_the_map__members_get_the_role(scim, two, settings):
    settings.OIDC_ROLE_MAP = "rollout_manager=SG-AI-Rollout"
    person = sso_person("u0@mass.example.gov")
    group = scim.post("/Groups", group_body("Draft name", two[0])).json()
    assert roles_of(person) == set()

    scim.patch(
        f"/Groups/{group['id']}",
        patch_body({"op": "Replace", "path": "displayName", "value": "SG-AI-Rollout"}),
    )
    assert roles_of(person) == {"rollout_manager"}


def test_root_search__users_and_groups_in_one_list(scim, two):
    scim.post("/Groups", group_body("G", *two))
    body = scim.post("/.search", {"attributes": ["id"], "count": 10}).json()
    assert body["totalResults"] == 3
    assert len(body["Resources"]) == 3
