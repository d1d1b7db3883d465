"""The objects a console page is about, looked up within the caller's agency scope: another
agency's wave, cohort or job answers 404 exactly like a missing one, as in the API."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404

from config.api.permissions import agency_scope
from core.choices import JobKind
from core.models import Job

from ..models import Cohort, Wave

# The jobs the console follows: cohort activations (a cohort's agency decides who may read
# them) and reclamations (contract-wide: the roles that read every agency).
CONSOLE_JOBS = (JobKind.COHORT_ACTIVATION, JobKind.RECLAIM)


def scoped_waves(request):
    """The waves the caller may open: every wave, or (a coordinator) those holding one of their
    agencies' cohorts."""
    waves = Wave.objects.select_related("contract", "approved_by")
    scope = agency_scope(request)
    if scope.is_all:
        return waves
    return waves.filter(Exists(scope.filter(Cohort.objects.filter(wave=OuterRef("pk")))))


def scoped_cohorts(request):
    return agency_scope(request).filter(Cohort.objects.select_related("wave__contract", "agency"))


def wave_for(request, pk: int) -> Wave:
    return get_object_or_404(scoped_waves(request), pk=pk)


def cohort_for(request, pk: int) -> Cohort:
    return get_object_or_404(scoped_cohorts(request), pk=pk)


def job_for(request, pk: int) -> Job:
    """A console job the caller may read: a cohort activation of an agency in their scope, or a
    reclamation for a caller who reads every agency."""
    job = get_object_or_404(
        Job.objects.select_related("cohort__agency", "cohort__wave", "requested_by"),
        pk=pk,
        kind__in=CONSOLE_JOBS,
    )
    scope = agency_scope(request)
    allowed = scope.allows(job.cohort.agency_id) if job.cohort_id else scope.is_all
    if not allowed:
        raise Http404("No such job.")
    return job
