from django.apps import AppConfig


class AcmeOrdersConfig(AppConfig):
    name = "acme_orders"
    verbose_name = "Certificates"

    def ready(self):
        from certlife.navigation import NavigationEntry, register

        register(
            NavigationEntry(
                "Certificates",
                "Certificates",
                "certificate-list",
                "acme_orders.view_certificate",
                10,
            )
        )
