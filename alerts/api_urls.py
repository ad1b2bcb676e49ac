from rest_framework.routers import SimpleRouter

from alerts.api import AlertChannelViewSet

router = SimpleRouter()
router.register("alert-channels", AlertChannelViewSet, basename="api-alert-channel")

urlpatterns = router.urls
