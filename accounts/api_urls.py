from rest_framework.routers import SimpleRouter

from accounts.api import AcmeAccountViewSet

router = SimpleRouter()
router.register("accounts", AcmeAccountViewSet, basename="api-account")

urlpatterns = router.urls
