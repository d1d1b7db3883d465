"""Routes for the error-page tests: the site's own routes and one page that fails with a bug,
so the 500 page can be seen exactly as a real failure shows it."""

from django.urls import include, path


def _bug(request):
    raise ValueError("a plain bug")


urlpatterns = [
    path("boom/", _bug),
    path("", include("config.urls")),
]

handler404 = "config.api.exceptions.not_found"
handler500 = "config.api.exceptions.server_error"
