"""Routes of the SCIM service provider, mounted at /scim/v2/ (config/urls.py). Paths are
matched without a trailing slash, as identity providers send them."""

from django.urls import path, re_path

from . import views

app_name = "scim"

urlpatterns = [
    path("ServiceProviderConfig", views.ServiceProviderConfigView.as_view(), name="config"),
    path("ResourceTypes", views.ResourceTypesView.as_view(), name="resource-types"),
    path("ResourceTypes/<str:name>", views.ResourceTypesView.as_view(), name="resource-type"),
    path("Schemas", views.SchemasView.as_view(), name="schemas"),
    path("Schemas/<str:schema_id>", views.SchemasView.as_view(), name="schema"),
    re_path(r"^Users/?$", views.UsersView.as_view(), name="users"),
    path("Users/.search", views.UsersSearchView.as_view(), name="users-search"),
    path("Users/<str:resource_id>", views.UserView.as_view(), name="user"),
    re_path(r"^Groups/?$", views.GroupsView.as_view(), name="groups"),
    path("Groups/.search", views.GroupsSearchView.as_view(), name="groups-search"),
    path("Groups/<str:resource_id>", views.GroupView.as_view(), name="group"),
    path(".search", views.RootSearchView.as_view(), name="search"),
    path("Bulk", views.NotImplementedView.as_view(), name="bulk"),
    re_path(r"^Me(?:/.*)?$", views.NotImplementedView.as_view(), name="me"),
    re_path(r"^.*$", views.UnknownView.as_view(), name="unknown"),
]
