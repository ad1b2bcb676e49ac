from django.urls import path
from rest_framework.routers import SimpleRouter

from agents.agent_api import AgentJobResultView, AgentJobsView, AgentViewSet

router = SimpleRouter()
router.register("agents", AgentViewSet, basename="api-agent")

urlpatterns = [
    *router.urls,
    path("agent/jobs/", AgentJobsView.as_view(), name="api-agent-jobs"),
    path("agent/jobs/<int:pk>/result/", AgentJobResultView.as_view(), name="api-agent-job-result"),
]
