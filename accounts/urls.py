from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.AccountListView.as_view(), name="account-list"),
    path("register/", views.RegisterAccountView.as_view(), name="account-register"),
    path("directory-info/", views.DirectoryInfoView.as_view(), name="account-directory-info"),
    path("import/", views.ImportAccountView.as_view(), name="account-import"),
    path("email/", views.ChooseAccountForEmailView.as_view(), name="account-email-choose"),
    path("<int:pk>/email/", views.UpdateEmailView.as_view(), name="account-email"),
    path("<int:pk>/export/", views.ExportKeyView.as_view(), name="account-export"),
    path("<int:pk>/delete/", views.DeleteAccountView.as_view(), name="account-delete"),
    path("<int:pk>/deactivate/", views.DeactivateAccountView.as_view(), name="account-deactivate"),
]
