from rest_framework.routers import SimpleRouter

from dns_providers.api import DnsAccountViewSet

router = SimpleRouter()
router.register("dns-accounts", DnsAccountViewSet, basename="api-dns-account")

urlpatterns = router.urls
