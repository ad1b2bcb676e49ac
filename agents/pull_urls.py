from django.urls import path

from agents import pull_views

urlpatterns = [
    path("", pull_views.AgentListView.as_view(), name="agent-list"),
    path("add/", pull_views.AgentAddView.as_view(), name="agent-add"),
    path("<int:pk>/package/", pull_views.AgentPackageView.as_view(), name="agent-package"),
    path("<int:pk>/revoke/", pull_views.AgentRevokeView.as_view(), name="agent-revoke"),
]
