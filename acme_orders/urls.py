from django.urls import path

from acme_orders import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("certificates/", views.CertificateListView.as_view(), name="certificate-list"),
]
