from django.apps import AppConfig

LETS_ENCRYPT = "ACME >> Let's Encrypt"


class AcmeOrdersConfig(AppConfig):
    name = "acme_orders"
    verbose_name = "Certificates"

    def ready(self):
        from acme_orders.receivers import connect_receivers
        from certlife.navigation import NavigationEntry, register

        connect_receivers()

        for entry in (
            NavigationEntry(
                "Certificates",
                "Certificates",
                "certificate-list",
                "acme_orders.view_certificate",
                10,
            ),
            NavigationEntry(
                LETS_ENCRYPT, "Request", "request-create", "acme_orders.add_certificaterequest", 10
            ),
            NavigationEntry(
                LETS_ENCRYPT,
                "Pending requests",
                "request-list",
                "acme_orders.view_certificaterequest",
                20,
            ),
        ):
            register(entry)
