from rest_framework.routers import SimpleRouter

from agents.api import AgentMappingViewSet

router = SimpleRouter()
router.register("agent-mappings", AgentMappingViewSet, basename="api-agent-mapping")

urlpatterns = router.urls
