"""The schema endpoint, answering its refusals in the API's error shape."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import JSONRenderer


class SchemaView(SpectacularAPIView):
    """`/api/schema/`: the schema in YAML or JSON, and every refusal (429 when throttled, 406,
    …) in the API's JSON error shape rather than rendered as an OpenAPI document."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
