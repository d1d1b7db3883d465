"""Routes of the rollout API, mounted under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from .views import CohortViewSet, WaveViewSet

router = SimpleRouter()
router.register("waves", WaveViewSet, basename="wave")
router.register("cohorts", CohortViewSet, basename="cohort")

urlpatterns = router.urls
