"""Routes of the agencies API, mounted under /api/v1/ by config/urls.py."""

from rest_framework.routers import SimpleRouter

from .views import AgencyViewSet, BargainingUnitViewSet, EmployeeViewSet

router = SimpleRouter()
router.register("agencies", AgencyViewSet, basename="agency")
router.register("bargaining-units", BargainingUnitViewSet, basename="bargaining-unit")
router.register("employees", EmployeeViewSet, basename="employee")

urlpatterns = router.urls
