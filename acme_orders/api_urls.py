from rest_framework.routers import SimpleRouter

from acme_orders.api import CertificateRequestViewSet, CertificateViewSet

router = SimpleRouter()
router.register("requests", CertificateRequestViewSet, basename="api-request")
router.register("certificates", CertificateViewSet, basename="api-certificate")

urlpatterns = router.urls
