"""`cohort.gates_passed`: told once each time a cohort's readiness gates go from failing to
passing.

The gates move for many reasons: a sign-off, a reopened gate, a roster import that changes how
many people are trained, an edit in the admin, an identity-provider update. So the last verdict
is remembered per cohort (`CohortGateState`) and every observation compares against it: a
change from failing to passing writes the event, anything else only updates the state. The
services that move gates observe right away, before and after their change, inside their own
transaction (`watches_cohort_gates`, `with_cohort_gates_watched`); beat observes every open
cohort every 15 minutes for the changes no service announces.

Observing before the change matters for a cohort never judged yet: its state is recorded as it
stood, so the change itself is what makes it pass. The state rows are locked (in cohort order)
for the rest of the transaction, so two changes to one cohort at once are judged one after the
other and the crossing is told exactly once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from core.models import Event
from core.outbox import events_emit
from rollout.gates import cohort_gates
from rollout.models import Cohort

from ..catalog import COHORT_GATES_PASSED
from ..models import CohortGateState


def _selectors():
    """rollout.selectors, imported when first used: it imports rollout.services, whose modules
    import rollout.selectors back, so importing it first while this module loads (the roster
    import loads this module, and the admin loads the roster import) would meet it half-made."""
    from rollout import selectors

    return selectors


def _verdicts(cohort_ids: list[int] | None) -> dict[int, tuple[bool, object]]:
    selectors = _selectors()
    cohorts = selectors.cohorts_open()
    if cohort_ids is not None:
        cohorts = cohorts.filter(pk__in=cohort_ids)
    return {
        r.cohort_id: (all(g.is_met for g in cohort_gates(r)), r)
        for r in selectors.cohorts_readiness(cohorts)
    }


@transaction.atomic
def cohort_gates_observe(*, cohort_ids: Iterable[int] | None = None) -> list[Event]:
    """Judge the gates of the given open cohorts (every open cohort when None) and write
    `cohort.gates_passed` for each whose gates pass now and failed when last judged. A cohort
    judged for the first time is only recorded. Returns the events written."""
    ids = sorted(set(cohort_ids)) if cohort_ids is not None else None
    if ids is not None and not ids:
        return []
    cohorts_open = _selectors().cohorts_open
    open_ids = list(
        (cohorts_open() if ids is None else cohorts_open().filter(pk__in=ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not open_ids:
        return []
    # Lock every state row first (creating the missing ones), then judge: a concurrent
    # observer of the same cohorts waits here and then judges what this one committed.
    CohortGateState.objects.bulk_create(
        [CohortGateState(cohort_id=pk, passing=False, observed_at=None) for pk in open_ids],
        ignore_conflicts=True,
    )
    states = {
        s.cohort_id: s
        for s in CohortGateState.objects.select_for_update()
        .filter(cohort_id__in=open_ids)
        .order_by("cohort_id")
    }
    verdicts = _verdicts(open_ids)
    now = timezone.now()
    crossed, judged = [], []
    for pk, state in states.items():
        if pk not in verdicts:
            continue
        passing, readiness = verdicts[pk]
        first = state.observed_at is None
        if first or passing != state.passing:
            if passing and not first:
                crossed.append(readiness)
            state.passing = passing
            state.changed_at = now
        state.observed_at = now
        judged.append(state)
    CohortGateState.objects.bulk_update(judged, ["passing", "changed_at", "observed_at"])
    return events_emit([_event(readiness) for readiness in _with_cohorts(crossed)])


def _with_cohorts(crossed: list) -> list[tuple[Cohort, object]]:
    if not crossed:
        return []
    cohorts = Cohort.objects.select_related("wave").in_bulk([r.cohort_id for r in crossed])
    return [(cohorts[r.cohort_id], r) for r in crossed]


def _event(pair: tuple[Cohort, object]) -> Event:
    cohort, readiness = pair
    return Event(
        type=COHORT_GATES_PASSED,
        subject=f"cohort:{cohort.pk}",
        payload={
            "cohort": cohort.pk,
            "wave": cohort.wave_id,
            "contract": cohort.wave.contract_id,
            "agency": cohort.agency_id,
            "active_employees": readiness.active_employees,
            "trained_employees": readiness.trained_employees,
            "threshold": str(readiness.threshold),
        },
        agency_ids=[cohort.agency_id],
    )


def watches_cohort_gates(service: Callable) -> Callable:
    """For a service that may move one cohort's gates (`cohort=` keyword): observe them before
    and after it, inside its transaction (put it under `@transaction.atomic`)."""

    @functools.wraps(service)
    def wrapper(*args, cohort, **kwargs):
        cohort_gates_observe(cohort_ids=[cohort.pk])
        result = service(*args, cohort=cohort, **kwargs)
        cohort_gates_observe(cohort_ids=[cohort.pk])
        return result

    return wrapper


def with_cohort_gates_watched(work: Callable[[], None]) -> Callable[[], None]:
    """`work` (a roster import's pass) wrapped so every open cohort's gates are observed before
    and after it, in the transaction `work` runs in."""

    @functools.wraps(work)
    def watched() -> None:
        cohort_gates_observe()
        work()
        cohort_gates_observe()

    return watched
