"""The URLs the rollout tests mount: the app's own, and the pages' login the feed redirects to.
config/urls.py includes rollout.urls the same way."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("rollout/", include("rollout.urls")),
    path("", include("config.web_urls")),
]
