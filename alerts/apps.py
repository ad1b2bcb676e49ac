from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self):
        from alerts import receivers  # noqa: F401  (connects the signal receivers)
        from certlife.navigation import NavigationEntry, register

        register(
            NavigationEntry(
                "Manage", "Alerts", "alert-channel-list", "alerts.view_alertchannel", 50
            )
        )
