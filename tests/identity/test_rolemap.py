"""The role map: `TARGET=GROUP` entries read from the environment, and what a set of groups
gives (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.rolemap import Entry, RoleMapError, parse_role_map

EXAMPLE = "rollout_manager=SG-AI-Rollout,finance=SG-AI-Finance,agency_coordinator:DOR=SG-AI-DOR"


def test_parse__issue_example__three_entries():
    role_map = parse_role_map(EXAMPLE)
    assert role_map.entries == (
        Entry("SG-AI-Rollout", "rollout_manager"),
        Entry("SG-AI-Finance", "finance"),
        Entry("SG-AI-DOR", "agency_coordinator", "DOR"),
    )


def test_parse__spaces_empty_items_lower_case_code_and_repeats__normalised():
    role_map = parse_role_map(" finance = G1 ,, agency_coordinator:dor=G2,finance=G1 ")
    assert role_map.entries == (Entry("G1", "finance"), Entry("G2", "agency_coordinator", "DOR"))


def test_parse__empty__no_entries():
    assert not parse_role_map("")
    assert not parse_role_map(None)


@pytest.mark.parametrize(
    "text",
    [
        "wizard=G",
        "finance",
        "=G",
        "finance=",
        "agency_coordinator=G",
        "finance:DOR=G",
        "agency:DOR=G",
    ],
)
def test_parse__bad_entry__refused_naming_it(text):
    with pytest.raises(RoleMapError) as refused:
        parse_role_map(text)
    assert text.split(",")[0].strip() in str(refused.value)


def test_parse__agency_placement__only_where_allowed():
    role_map = parse_role_map("agency:EOTSS=Staff-EOTSS", allow_agency=True)
    assert role_map.entries == (Entry("Staff-EOTSS", None, "EOTSS"),)


def test_grants__groups_of_two_coordinator_entries__both_agencies():
    role_map = parse_role_map(
        "agency_coordinator:DOR=G-DOR,agency_coordinator:EOTSS=G-EOTSS,finance=G-FIN"
    )
    grants = role_map.grants_for(["G-DOR", "G-EOTSS", "unmapped"])
    assert grants.roles == {"agency_coordinator"}
    assert grants.coordinated == {"DOR", "EOTSS"}


def test_grants__group_names__compared_exactly():
    grants = parse_role_map(EXAMPLE).grants_for(["sg-ai-rollout", "SG-AI-Rollout "])
    assert grants.roles == set()


def test_grants__agency_placements__in_map_order():
    role_map = parse_role_map("agency:EOTSS=G2,agency:DOR=G1", allow_agency=True)
    assert role_map.grants_for(["G1", "G2"]).agencies == ("EOTSS", "DOR")


def test_grants__claim_with_non_strings__ignored():
    assert parse_role_map(EXAMPLE).grants_for([None, 3, "SG-AI-Finance"]).roles == {"finance"}


GROUPS = st.lists(st.sampled_from(["SG-AI-Rollout", "SG-AI-Finance", "SG-AI-DOR", "other"]))


@given(GROUPS, GROUPS)
def test_grants__a_group_removed__never_adds_a_role_or_agency(groups, removed):
    role_map = parse_role_map(EXAMPLE)
    before = role_map.grants_for(groups)
    after = role_map.grants_for([g for g in groups if g not in removed])
    assert after.roles <= before.roles
    assert after.coordinated <= before.coordinated


@given(GROUPS)
def test_grants__only_mapped_roles_and_coordinators_have_agencies(groups):
    grants = parse_role_map(EXAMPLE).grants_for(groups)
    assert grants.roles <= {"rollout_manager", "finance", "agency_coordinator"}
    assert bool(grants.coordinated) == ("agency_coordinator" in grants.roles)
