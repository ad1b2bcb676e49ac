from django.apps import AppConfig

LETS_ENCRYPT = "ACME >> Let's Encrypt"


class AcmeOrdersConfig(AppConfig):
    name = "acme_orders"
    verbose_name = "Certificates"

    def ready(self):
        from acme_orders.key_release import record_deployment_release
        from acme_orders.receivers import connect_receivers
        from agents.signals import private_key_sent
        from certlife.navigation import NavigationEntry, register

        connect_receivers()
        private_key_sent.connect(record_deployment_release, dispatch_uid="deployment-release")

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
