"""Writes of the rollout app: the plan (`plan`: waves and cohorts while planned), the wave
lifecycle (`waves`), readiness sign-offs (`readiness`), cohort activation jobs (`activation`,
handed to the workers and swept by `jobs`), idle-seat reclamation (`reclaim`) and personal
calendar links (`calendar_links`)."""

from .activation import cohort_activate, cohort_activation_enqueue
from .calendar_links import calendar_link_rotate, calendar_links_revoke
from .jobs import JobClaimLost, job_claim, job_heartbeat, jobs_requeue_stalled
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
    "JobClaimLost",
    "Reclamation",
    "calendar_link_rotate",
    "calendar_links_revoke",
    "cohort_activate",
    "cohort_activation_enqueue",
    "cohort_add",
    "cohort_remove",
    "cohort_update",
    "job_claim",
    "job_heartbeat",
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
