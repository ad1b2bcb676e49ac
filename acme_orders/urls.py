from django.urls import path

from acme_orders import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("certificates/", views.CertificateListView.as_view(), name="certificate-list"),
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
