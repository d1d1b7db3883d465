"""Who may hear of an event, and what of it: the API's own rules, applied to the person behind
a subscription (an email recipient, a webhook endpoint's owner).

An event is for a recipient when they could read what it is about through the API: rollout
managers, finance and API readers every event; an agency coordinator only events of their own
agencies, and never a contract-wide one (`Event.agency_ids` empty, or a type the catalogue
marks contract-wide: the API shows coordinators no contract figures). The payload goes out with
the catalogue's declared fields only, without the personal ones for a recipient who may not
read personal fields (an API reader; a coordinator outside their agencies). Roles are read when
the message is sent, so a recipient who lost a role stops receiving at once."""

from __future__ import annotations

from dataclasses import dataclass

from config.api.permissions import AgencyScope, agency_scope_of, personal_scope_of
from core.models import Event

from .catalog import event_type

NOBODY = AgencyScope(frozenset())


@dataclass(frozen=True)
class Audience:
    """What one person may read: the agencies they see, and whose personal fields."""

    scope: AgencyScope
    personal: AgencyScope

    def may_see(self, event: Event) -> bool:
        kind = event_type(event.type)
        if kind is None:
            return False
        if self.scope.is_all:
            return True
        if kind.contract_wide or not event.agency_ids:
            return False
        return bool(set(event.agency_ids) & self.scope.agency_ids)

    def payload(self, event: Event) -> dict:
        """The event's payload as this person may receive it (declared fields only)."""
        kind = event_type(event.type)
        if kind is None:
            return {}
        personal = self.personal.is_all or (
            bool(event.agency_ids) and set(event.agency_ids) <= self.personal.agency_ids
        )
        return kind.view(event.payload, personal=personal)


def audience_of(user) -> Audience:
    """The audience a user is today (nobody when the account is inactive)."""
    if user is None or not user.is_active:
        return Audience(NOBODY, NOBODY)
    return Audience(agency_scope_of(user), personal_scope_of(user))
