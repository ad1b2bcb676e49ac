from django.apps import AppConfig


class DnsProvidersConfig(AppConfig):
    name = "dns_providers"
    verbose_name = "DNS accounts"

    def ready(self):
        from certlife.navigation import NavigationEntry, register

        register(
            NavigationEntry(
                "Manage", "DNS", "dns-account-list", "dns_providers.view_dnsaccount", 20
            )
        )
