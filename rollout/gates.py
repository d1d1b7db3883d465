"""Readiness gates, as pure functions.

A cohort may be approved and started only when all of its gates pass: the four gates a person
signs off (privacy review, security review, union notice, help desk) and training readiness,
computed live from the roster. This module knows nothing about the database: the selector
`rollout.selectors.wave_readiness` hands it plain figures, and it hands back one `GateResult`
per gate, so the rules can be tested exhaustively and the refusal reads the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from .choices import SIGNED_GATES, GateKind

TRAINING = GateKind.TRAINING_THRESHOLD

LABELS: dict[str, str] = {
    GateKind.PRIVACY_REVIEW: "privacy review",
    GateKind.SECURITY_REVIEW: "security review",
    GateKind.UNION_NOTICE: "union notice",
    GateKind.HELP_DESK_READY: "help desk readiness",
    GateKind.TRAINING_THRESHOLD: "training",
}


@dataclass(frozen=True)
class GateResult:
    """One gate of one cohort: whether it passes and the figure that says why, in words a
    rollout manager reads ("61.0% < 80.0% (61 of 100 active employees trained)")."""

    kind: str
    is_met: bool
    figure: str

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass(frozen=True)
class SignOff:
    """The state of one signed gate as stored: met or not, by whom and when."""

    is_met: bool
    signed_off_by: str = ""
    met_at: dt.datetime | None = None


@dataclass(frozen=True)
class CohortReadiness:
    """What the gates of one cohort are evaluated from."""

    cohort_id: int
    agency_code: str
    active_employees: int
    trained_employees: int
    threshold: Decimal
    sign_offs: Mapping[str, SignOff] = field(default_factory=dict)


def percent(share: Decimal) -> str:
    """A share as a percentage with one decimal, rounded down, so a failing share is never
    shown as if it had reached the threshold (79.96% reads 79.9%, not 80.0%)."""
    return f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_DOWN)}%"


def training_gate(*, active: int, trained: int, threshold: Decimal) -> GateResult:
    """Training readiness: the share of the agency's active employees who have both completed
    the AI training and acknowledged the use policy must reach `threshold` (exactly reaching it
    passes). An agency with no active employee on the roster fails: it almost always means the
    roster has not been imported, and nobody could be onboarded anyway."""
    if active <= 0:
        return GateResult(TRAINING, False, "no active employees on the roster")
    # Compared as trained >= threshold * active, so no rounding of the share decides the gate.
    is_met = Decimal(trained) >= threshold * active
    sign = "≥" if is_met else "<"
    share = Decimal(trained) / Decimal(active)
    figure = (
        f"{percent(share)} {sign} {percent(threshold)} "
        f"({trained:,} of {active:,} active employees trained)"
    )
    return GateResult(TRAINING, is_met, figure)


def signed_gate(kind: str, sign_off: SignOff | None) -> GateResult:
    """A gate a person signs off: met only while its stored check is met."""
    if sign_off is None or not sign_off.is_met:
        return GateResult(kind, False, "not signed off")
    when = f" on {sign_off.met_at:%Y-%m-%d}" if sign_off.met_at else ""
    by = f" by {sign_off.signed_off_by}" if sign_off.signed_off_by else ""
    return GateResult(kind, True, f"signed off{by}{when}")


def cohort_gates(readiness: CohortReadiness) -> list[GateResult]:
    """Every gate of one cohort, signed gates first in their fixed order, then training."""
    results = [signed_gate(kind, readiness.sign_offs.get(kind)) for kind in SIGNED_GATES]
    results.append(
        training_gate(
            active=readiness.active_employees,
            trained=readiness.trained_employees,
            threshold=readiness.threshold,
        )
    )
    return results


@dataclass(frozen=True)
class Failure:
    cohort_id: int
    agency: str
    gate: str
    figure: str
    line: str

    def as_dict(self) -> dict[str, object]:
        return {
            "cohort": self.cohort_id,
            "agency": self.agency,
            "gate": self.gate,
            "figure": self.figure,
        }


def failing_gates(cohorts: Iterable[CohortReadiness]) -> list[Failure]:
    """Every failing gate of every cohort, in cohort order then gate order, each with the line a
    refusal prints ("EOHHS: training 61.0% < 80.0% (…)", "EOHHS: privacy review not signed off")."""
    failures = []
    for readiness in cohorts:
        for result in cohort_gates(readiness):
            if not result.is_met:
                failures.append(
                    Failure(
                        cohort_id=readiness.cohort_id,
                        agency=readiness.agency_code,
                        gate=result.kind,
                        figure=result.figure,
                        line=f"{readiness.agency_code}: {result.label} {result.figure}",
                    )
                )
    return failures
