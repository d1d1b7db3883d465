"""The role map: which of the identity provider's groups give which Seatplan role, which
agencies a coordinator acts for, and (for SCIM groups) which agency an employee belongs to.

Written in the environment as comma-separated `TARGET=GROUP` entries:

    OIDC_ROLE_MAP="rollout_manager=SG-AI-Rollout,finance=SG-AI-Finance,agency_coordinator:DOR=SG-AI-DOR"
    SCIM_GROUP_MAP="agency:DOR=SG-DOR-Staff,agency:EOTSS=SG-EOTSS-Staff"

- `ROLE=GROUP` gives a member of GROUP the role (`rollout_manager`, `finance`, `api_reader`);
- `agency_coordinator:CODE=GROUP` makes a member a coordinator of agency CODE (repeat the entry
  for each agency; a member of several such groups coordinates all their agencies);
- `agency:CODE=GROUP` (SCIM groups only) places a member's employee in agency CODE, when the
  user's own attribute names no agency Seatplan knows.

A group may appear in several entries. Group names are compared exactly as written (Entra ID
sends group object ids unless told otherwise; display names are not unique there). Pure
functions: no database, so the rules are tested exhaustively and fast."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from config.roles import AGENCY_COORDINATOR, ROLES

AGENCY = "agency"


class RoleMapError(ValueError):
    """A role map that cannot be read; the message names the entry."""


@dataclass(frozen=True)
class Entry:
    """One `TARGET=GROUP` entry: a role (with the coordinated agency's code for a coordinator),
    or an agency placement (`role` is None)."""

    group: str
    role: str | None
    agency: str | None = None


@dataclass(frozen=True)
class Grants:
    """What a set of groups gives: roles, the agencies coordinated, and agency placements in
    the order the map lists them."""

    roles: frozenset[str] = frozenset()
    coordinated: frozenset[str] = frozenset()
    agencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleMap:
    """A parsed role map."""

    entries: tuple[Entry, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(entry.group for entry in self.entries)

    def grants_for(self, groups: Iterable[str]) -> Grants:
        """What membership of exactly these groups gives. A coordinator entry gives the role
        and the agency together; nothing else gives a coordinator an agency."""
        member_of = {g for g in groups if isinstance(g, str)}
        roles: set[str] = set()
        coordinated: set[str] = set()
        agencies: list[str] = []
        for entry in self.entries:
            if entry.group not in member_of:
                continue
            if entry.role is None:
                if entry.agency not in agencies:
                    agencies.append(entry.agency)
                continue
            roles.add(entry.role)
            if entry.role == AGENCY_COORDINATOR:
                coordinated.add(entry.agency)
        return Grants(frozenset(roles), frozenset(coordinated), tuple(agencies))

    def __add__(self, other: RoleMap) -> RoleMap:
        return RoleMap(self.entries + tuple(e for e in other.entries if e not in self.entries))


def parse_role_map(text: str | None, *, allow_agency: bool = False) -> RoleMap:
    """Read `TARGET=GROUP,…`. Raises `RoleMapError` naming the first bad entry: an unknown
    role, a coordinator without an agency code (or another role with one), an agency
    placement where it is not allowed, an empty group."""
    entries: list[Entry] = []
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        target, sep, group = item.partition("=")
        target, group = target.strip(), group.strip()
        if not sep or not target or not group:
            raise RoleMapError(f"'{item}' is not TARGET=GROUP.")
        name, colon, code = target.partition(":")
        name, code = name.strip(), code.strip().upper()
        if name == AGENCY:
            if not allow_agency:
                raise RoleMapError(
                    f"'{item}': agency placements belong in SCIM_GROUP_MAP, not in the role map."
                )
            if not code:
                raise RoleMapError(f"'{item}': write agency:CODE=GROUP.")
            entry = Entry(group=group, role=None, agency=code)
        elif name not in ROLES:
            known = ", ".join((*ROLES, AGENCY) if allow_agency else ROLES)
            raise RoleMapError(f"'{item}': unknown role '{name}' (known: {known}).")
        elif name == AGENCY_COORDINATOR:
            if not code:
                raise RoleMapError(f"'{item}': write agency_coordinator:CODE=GROUP.")
            entry = Entry(group=group, role=name, agency=code)
        else:
            if colon:
                raise RoleMapError(f"'{item}': only agency_coordinator takes an agency code.")
            entry = Entry(group=group, role=name)
        if entry not in entries:
            entries.append(entry)
    return RoleMap(tuple(entries))
