from django.urls import path

from alerts import views

urlpatterns = [
    path("", views.AlertChannelListView.as_view(), name="alert-channel-list"),
    path("add/", views.AlertChannelFormView.as_view(), name="alert-channel-add"),
    path("<int:pk>/edit/", views.AlertChannelFormView.as_view(), name="alert-channel-edit"),
    path("<int:pk>/delete/", views.AlertChannelDeleteView.as_view(), name="alert-channel-delete"),
    path("<int:pk>/test/", views.AlertChannelTestView.as_view(), name="alert-channel-test"),
]
