from django.urls import path

from dns_providers import views

urlpatterns = [
    path("", views.DnsAccountListView.as_view(), name="dns-account-list"),
    path("add/<str:provider>/", views.DnsAccountFormView.as_view(), name="dns-account-add"),
    path("<int:pk>/edit/", views.DnsAccountFormView.as_view(), name="dns-account-edit"),
    path("<int:pk>/delete/", views.DnsAccountDeleteView.as_view(), name="dns-account-delete"),
    path(
        "<int:pk>/test-status/",
        views.DnsAccountTestStatusView.as_view(),
        name="dns-account-test-status",
    ),
    *(
        path(
            f"<int:pk>/{operation}/",
            views.DnsAccountActionView.as_view(),
            {"operation": operation},
            name=f"dns-account-{operation}",
        )
        for operation in ("enable", "disable", "test")
    ),
]
