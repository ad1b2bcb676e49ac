from django.urls import path

from acme_orders import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("certificates/", views.CertificateListView.as_view(), name="certificate-list"),
    path(
        "certificates/<int:pk>/", views.CertificateDetailView.as_view(), name="certificate-detail"
    ),
    path(
        "certificates/<int:pk>/history/",
        views.CertificateHistoryView.as_view(),
        name="certificate-history",
    ),
    path(
        "certificates/<int:pk>/export/",
        views.CertificateExportView.as_view(),
        name="certificate-export",
    ),
    path(
        "certificates/<int:pk>/renew/",
        views.RenewCertificateView.as_view(),
        name="certificate-renew",
    ),
    path(
        "certificates/<int:pk>/retry-renewal/",
        views.RetryRenewalView.as_view(),
        name="certificate-retry-renewal",
    ),
    path(
        "certificates/<int:pk>/auto-renew/",
        views.AutoRenewView.as_view(),
        name="certificate-auto-renew",
    ),
    path(
        "certificates/<int:pk>/revoke/",
        views.RevokeCertificateView.as_view(),
        name="certificate-revoke",
    ),
    path(
        "certificates/<int:pk>/delete/",
        views.DeleteCertificateView.as_view(),
        name="certificate-delete",
    ),
    path("acme/letsencrypt/request/", views.RequestCreateView.as_view(), name="request-create"),
    path(
        "acme/letsencrypt/request/profiles/",
        views.RequestProfilesView.as_view(),
        name="request-profiles",
    ),
    path("acme/letsencrypt/pending/", views.PendingRequestListView.as_view(), name="request-list"),
    path(
        "acme/letsencrypt/requests/<int:pk>/",
        views.RequestDetailView.as_view(),
        name="request-detail",
    ),
    path(
        "acme/letsencrypt/requests/<int:pk>/export/",
        views.RequestExportView.as_view(),
        name="request-export",
    ),
    path(
        "acme/letsencrypt/requests/<int:pk>/<slug:action>/",
        views.RequestActionView.as_view(),
        name="request-action",
    ),
    path(
        ".well-known/acme-challenge/<str:token>",
        views.acme_challenge_response,
        name="acme-challenge-response",
    ),
]
