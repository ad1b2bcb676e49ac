from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "ACME accounts"

    def ready(self):
        from certlife.navigation import NavigationEntry, register

        register(
            NavigationEntry("Manage", "Accounts", "account-list", "accounts.view_acmeaccount", 10)
        )
