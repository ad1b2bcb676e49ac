from django.urls import path

from agents import views

urlpatterns = [
    path("", views.AgentMappingListView.as_view(), name="agent-mapping-list"),
    path("add/", views.AgentMappingFormView.as_view(), name="agent-mapping-add"),
    path("<int:pk>/edit/", views.AgentMappingFormView.as_view(), name="agent-mapping-edit"),
    path("<int:pk>/delete/", views.AgentMappingDeleteView.as_view(), name="agent-mapping-delete"),
    path("<int:pk>/host-key/", views.HostKeyView.as_view(), name="agent-mapping-host-key"),
    path(
        "<int:pk>/trust-host-key/",
        views.HostKeyActionView.as_view(),
        {"operation": "trust"},
        name="agent-mapping-trust",
    ),
    path(
        "<int:pk>/fetch-host-key/",
        views.HostKeyActionView.as_view(),
        {"operation": "fetch"},
        name="agent-mapping-fetch-host-key",
    ),
]
