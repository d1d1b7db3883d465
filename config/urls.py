"""Root routes: the admin, the rollout pages, the REST API under /api/v1/, its OpenAPI schema and
the Swagger UI (served from the drf-spectacular sidecar's static files, no CDN); the SCIM 2.0
service provider under /scim/v2/ and the OpenID Connect sign-in under /oidc/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from config.api.health import HealthView
from config.api.schema_view import SchemaView
from config.pages import admin_login

api_v1 = [
    path("", include("agencies.api.urls")),
    path("", include("rollout.api.urls")),
    path("", include("licensing.api.urls")),
    path("", include("vendor.api.urls")),
    path("health", HealthView.as_view(), name="health"),
    path("exports/", include("config.export_urls")),
    path("", include("notifications.api.urls")),
]

urlpatterns = [
    # Before the admin's own routes: a signed-in user who is not staff is told the admin is not
    # for them instead of being shown its login form (config/pages.py).
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("rollout/", include("rollout.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("scim/v2/", include("identity.scim.urls")),
    path("oidc/", include("identity.urls")),
    path("", include("config.web_urls")),
]

handler404 = "config.api.exceptions.not_found"
handler500 = "config.api.exceptions.server_error"
