from django.urls import path

from agents import deployment_views

urlpatterns = [
    path(
        "certificates/deployments/<int:pk>/retry/",
        deployment_views.RetryDeploymentView.as_view(),
        name="deployment-retry",
    ),
]
