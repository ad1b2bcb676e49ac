from rest_framework.routers import SimpleRouter

from agents.deployment_api import DeploymentViewSet

router = SimpleRouter()
router.register("deployments", DeploymentViewSet, basename="api-deployment")

urlpatterns = router.urls
