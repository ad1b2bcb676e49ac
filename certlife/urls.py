from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

from certlife import views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("audit-events/", views.AuditEventListApi.as_view(), name="api-audit-events"),
    path("", include("accounts.api_urls")),
    path("", include("dns_providers.api_urls")),
    path("", include("agents.api_urls")),
    path("", include("acme_orders.api_urls")),
    path("", include("alerts.api_urls")),
    path("", include("agents.pull_api_urls")),
    path("", include("agents.deployment_api_urls")),
]

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/profile/"),
        name="password-change",
    ),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("audit/", views.AuditLogView.as_view(), name="audit-log"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_urlpatterns)),
    path("manage/accounts/", include("accounts.urls")),
    path("manage/dns/", include("dns_providers.urls")),
    path("manage/alerts/", include("alerts.urls")),
    path("manage/windows-agent/", include("agents.pull_urls")),
    path("", include("agents.deployment_urls")),
    path("manage/deploy/", include("agents.urls")),
    path("", include("acme_orders.urls")),
]
