"""What a SCIM user means for the roster: the employee it stands for, created, updated,
separated or re-hired, with the employee history naming the token, and separation revoking
seats through the very function the roster import uses (`revoke_separated_seats`: one
`SeatEvent` per seat and a coalesced cost recompute on commit)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower

from agencies.choices import EmploymentStatus
from agencies.imports.separation import revoke_separated_seats
from agencies.models import Agency, Employee
from config.middleware import CACHE_AND_BROKER_ERRORS

from ..conf import agency_attribute, role_map, scim_group_map
from ..models import ScimToken, ScimUser
from ..scim.mapping import EmployeeFields, employee_fields
from ..selectors import scim_groups_named, scim_user_group_names, sso_users_with_email
from .accounts import sso_users_set_active, user_roles_apply

AGENCY_INDEX_KEY = "identity:agency-index"


@dataclass(frozen=True)
class RosterOutcome:
    """What a SCIM write did to the roster (the tests and the benchmark read it)."""

    employee_id: int | None = None
    created: bool = False
    changed: tuple[str, ...] = ()
    separated: bool = False
    seats_revoked: int = 0
    note: str = ""


def _by_email(email: str):
    """Employees with this address, found through the index on lower(email) that the roster's
    case-insensitive unique constraint keeps (a plain `iexact` would scan the roster)."""
    return Employee.objects.alias(email_ci=Lower("email")).filter(email_ci=email.lower())


AGENCY_INDEX_TTL = 60  # seconds the index of agency codes and names is kept


def _agency_index() -> dict[str, int]:
    """Agency ids by code and by name, case-folded, from the shared cache (one query a minute
    rather than one per provisioned user)."""
    try:
        index = cache.get(AGENCY_INDEX_KEY)
    except CACHE_AND_BROKER_ERRORS:
        index = None
    if index is None:
        index = {}
        for pk, code, name in Agency.objects.values_list("pk", "code", "name"):
            index.setdefault(name.casefold(), pk)
            index[code.casefold()] = pk
        with contextlib.suppress(*CACHE_AND_BROKER_ERRORS):
            cache.set(AGENCY_INDEX_KEY, index, timeout=AGENCY_INDEX_TTL)
    return index


def _agency(value: str | None) -> Agency | None:
    """The agency a code or a name designates (an unsaved stand-in carrying its id). A value
    the cached index lacks is looked up in the table, so an agency added a moment ago counts."""
    if not value:
        return None
    pk = _agency_index().get(value.strip().casefold())
    if pk is None:
        value = value.strip()
        pk = (
            Agency.objects.filter(Q(code__iexact=value) | Q(name__iexact=value))
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
    return Agency(pk=pk) if pk is not None else None


def _agency_from_groups(scim_user: ScimUser) -> Agency | None:
    if scim_user._state.adding:  # not stored yet: in no group
        return None
    grants = scim_group_map().grants_for(scim_user_group_names(scim_user.pk))
    for code in grants.agencies:
        agency = _agency(code)
        if agency is not None:
            return agency
    return None


def _matching_employee(fields: EmployeeFields, scim_user: ScimUser) -> tuple[Employee | None, str]:
    """The roster's employee this user stands for: by employee number, else by work e-mail (one
    query, locking what it finds). A number and an address naming two different people is a
    conflict, as is an employee another SCIM user already stands for."""
    wanted = Q(pk__in=[])
    if fields.employee_number:
        wanted |= Q(employee_number=fields.employee_number)
    if fields.email:
        wanted |= Q(email_ci=fields.email.lower())
    others = ScimUser.objects.filter(employee=OuterRef("pk")).exclude(pk=scim_user.pk)
    found = list(
        Employee.objects.alias(email_ci=Lower("email"))
        .filter(wanted)
        .annotate(taken=Exists(others))
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    by_number = next((e for e in found if e.employee_number == fields.employee_number), None)
    by_email = next((e for e in found if fields.email and e.email.lower() == fields.email), None)
    if by_number and by_email and by_number.pk != by_email.pk:
        return None, (
            f"Not linked: employee number {fields.employee_number} and address {fields.email} "
            "belong to two different employees."
        )
    match = by_number or by_email
    if match is not None and match.taken:
        return None, (
            f"Not linked: employee {match.employee_number} is already provisioned as another "
            "SCIM user."
        )
    return match, ""


def _history(employee: Employee, token: ScimToken, what: str) -> None:
    employee._history_user = token.actor
    employee._change_reason = f"SCIM {what} by token '{token.name}'"


def _reason_for(fields: EmployeeFields, agency: Agency | None) -> str:
    if fields.agency and agency is None:
        return f"{agency_attribute()} '{fields.agency}' names no agency Seatplan knows"
    if agency is None:
        return f"no {agency_attribute()} and no agency group"
    return ""


def scim_user_roster_sync(*, scim_user: ScimUser, resource, token: ScimToken, what: str):
    """Bring the roster in line with a SCIM user just written (inside its transaction).

    Linked already: the employee's e-mail, names, title, agency and number follow the resource
    where it says something Seatplan can use (a number or address held by another employee, or
    an agency it does not know, is left as it was and noted). Not linked: the user is linked to
    the employee with its number or work address, or a new employee is created when the resource
    gives a number, an address and a known agency; otherwise it stays unlinked, and
    `roster_note` says what is missing. `active: false` separates the employee and revokes their
    open seats the same moment; `active: true` re-hires a separated one (their seats stay
    revoked). The people who sign in with that address follow: a separated employee can no
    longer sign in."""
    fields = employee_fields(resource, agency_attribute=agency_attribute())
    agency = _agency(fields.agency) or _agency_from_groups(scim_user)
    notes: list[str] = []
    employee = (
        Employee.objects.select_for_update().filter(pk=scim_user.employee_id).order_by().first()
        if scim_user.employee_id
        else None
    )
    created = False
    changed: list[str] = []
    if employee is None:
        employee, conflict = _matching_employee(fields, scim_user)
        if conflict:
            return _unlinked(scim_user, conflict)
        if employee is None:
            missing = fields.missing()
            if agency is None:
                missing.append(f"an agency ({_reason_for(fields, agency)})")
            if missing:
                return _unlinked(scim_user, "Not on the roster: needs " + "; ".join(missing) + ".")
            employee = Employee(
                employee_number=fields.employee_number,
                email=fields.email,
                first_name=fields.first_name,
                last_name=fields.last_name,
                agency_id=agency.pk,
                job_title=fields.job_title or "",
                employment_status=(
                    EmploymentStatus.ACTIVE if fields.active else EmploymentStatus.SEPARATED
                ),
            )
            _history(employee, token, what)
            employee.save()
            created = True
    if not created:
        changed = _update(employee, fields, agency, notes)
        if changed:
            _history(employee, token, what)
            employee.save()
    _link(scim_user, employee, "; ".join(notes))

    revoked = 0
    if employee.employment_status == EmploymentStatus.SEPARATED:
        revoked = revoke_separated_seats(
            employee_ids=[employee.pk],
            actor=token.actor,
            reason=f"Employee separated (SCIM: {what} by token '{token.name}')",
            job=None,
        )
    if created or "employment_status" in changed:
        sso_users_set_active(
            users=sso_users_with_email(employee.email),
            active=employee.employment_status != EmploymentStatus.SEPARATED,
        )
    return RosterOutcome(
        employee_id=employee.pk,
        created=created,
        changed=tuple(changed),
        separated=employee.employment_status == EmploymentStatus.SEPARATED,
        seats_revoked=revoked,
        note=scim_user.roster_note,
    )


def _update(employee: Employee, fields: EmployeeFields, agency, notes: list[str]) -> list[str]:
    changed: list[str] = []

    def put(name: str, value) -> None:
        if getattr(employee, name) != value:
            setattr(employee, name, value)
            changed.append(name)

    if fields.email and fields.email != employee.email.lower():
        owner = _by_email(fields.email).exclude(pk=employee.pk)
        if owner.exists():
            notes.append(f"address {fields.email} belongs to another employee: kept")
        else:
            put("email", fields.email)
    if fields.employee_number and fields.employee_number != employee.employee_number:
        taken = Employee.objects.filter(employee_number=fields.employee_number)
        if taken.exclude(pk=employee.pk).exists():
            notes.append(f"employee number {fields.employee_number} is taken: kept")
        else:
            put("employee_number", fields.employee_number)
    if fields.first_name:
        put("first_name", fields.first_name)
    if fields.last_name:
        put("last_name", fields.last_name)
    if fields.job_title is not None:
        put("job_title", fields.job_title)
    if agency is not None:
        put("agency_id", agency.pk)
    elif fields.agency:
        notes.append(f"{_reason_for(fields, agency)}: agency kept")
    if not fields.active:
        put("employment_status", EmploymentStatus.SEPARATED)
    elif employee.employment_status == EmploymentStatus.SEPARATED:
        put("employment_status", EmploymentStatus.ACTIVE)
    return changed


def _link(scim_user: ScimUser, employee: Employee | None, note: str) -> None:
    """Record what the user stands for. A user not stored yet is only told: its first write
    (the caller's) stores it with the link, one statement instead of two."""
    note = note[:255]
    if (
        scim_user.employee_id == (employee.pk if employee else None)
        and scim_user.roster_note == note
    ):
        return
    scim_user.employee, scim_user.roster_note = employee, note
    if not scim_user._state.adding:
        scim_user.save(update_fields=["employee", "roster_note"])


def _unlinked(scim_user: ScimUser, note: str) -> RosterOutcome:
    _link(scim_user, None, note)
    return RosterOutcome(note=scim_user.roster_note)


def scim_user_separate_on_delete(*, scim_user: ScimUser, token: ScimToken) -> RosterOutcome:
    """A provider deleting a user means the person left: their employee (kept, with its history
    and seats) is separated and the seats revoked, as for `active: false`."""
    if scim_user.employee_id is None:
        return RosterOutcome()
    employee = Employee.objects.select_for_update().get(pk=scim_user.employee_id)
    if employee.employment_status != EmploymentStatus.SEPARATED:
        employee.employment_status = EmploymentStatus.SEPARATED
        _history(employee, token, "delete")
        employee.save()
    revoked = revoke_separated_seats(
        employee_ids=[employee.pk],
        actor=token.actor,
        reason=f"Employee separated (SCIM: delete by token '{token.name}')",
        job=None,
    )
    sso_users_set_active(users=sso_users_with_email(employee.email), active=False)
    return RosterOutcome(employee_id=employee.pk, separated=True, seats_revoked=revoked)


def scim_user_roles_sync(*, scim_user: ScimUser, also_decided: Iterable[str] = ()) -> None:
    """Re-apply the roles the user's SCIM groups give to the people who sign in with the
    user's address, so a membership removed at the provider removes the role at once rather
    than at the next sign-in. Only the roles (and coordinated agencies) whose groups the
    provider provisions are decided here; the others stay as the last sign-in left them. Only
    accounts that sign in through the provider are touched: a password account's roles are the
    administrator's. `also_decided` names groups that just stopped being provisioned (deleted,
    renamed): what they gave is still SCIM's to take back."""
    mapping = role_map()
    if not mapping:
        return
    provisioned = scim_groups_named(mapping.groups) | set(also_decided)
    if not provisioned:
        return
    # A role (or coordinated agency) is SCIM's to decide only when every group giving it is
    # provisioned: otherwise a membership SCIM never hears of could be what gives it.
    entries = [e for e in mapping.entries if e.role is not None]
    roles = {e.role for e in entries}
    agencies = {e.agency for e in entries if e.agency}
    managed_roles = {
        r for r in roles if all(e.group in provisioned for e in entries if e.role == r)
    }
    managed_agencies = {
        a for a in agencies if all(e.group in provisioned for e in entries if e.agency == a)
    }
    email = scim_user.employee.email if scim_user.employee_id else scim_user.work_email
    grants = mapping.grants_for(scim_user_group_names(scim_user.pk))
    for user in sso_users_with_email(email):
        user_roles_apply(
            user=user,
            grants=grants,
            managed_roles=managed_roles,
            managed_agencies=managed_agencies,
        )
