"""Writes of the rollout app: the plan (`plan`: waves and cohorts while planned), the wave
lifecycle (`waves`), readiness sign-offs (`readiness`),
cohort activation jobs (`activation`, handed to the workers and swept by `jobs`) and idle-seat
reclamation (`reclaim`)."""

from .activation import cohort_activate, cohort_activation_enqueue
from .jobs import jobs_requeue_stalled
from .plan import cohort_add, cohort_remove, cohort_update, wave_create, wave_update
from .readiness import readiness_reopen, readiness_sign_off
from .reclaim import Reclamation, seats_reclaim_enqueue, seats_reclaim_idle, seats_reclaimable
from .waves import (
    TRANSITIONS,
    wave_approve,
    wave_cancel,
    wave_complete,
    wave_pause,
    wave_resume,
    wave_start,
)

__all__ = [
    "TRANSITIONS",
    "Reclamation",
    "cohort_activate",
    "cohort_activation_enqueue",
    "cohort_add",
    "cohort_remove",
    "cohort_update",
    "jobs_requeue_stalled",
    "readiness_reopen",
    "readiness_sign_off",
    "seats_reclaim_enqueue",
    "seats_reclaim_idle",
    "seats_reclaimable",
    "wave_approve",
    "wave_cancel",
    "wave_complete",
    "wave_create",
    "wave_pause",
    "wave_resume",
    "wave_start",
    "wave_update",
]
