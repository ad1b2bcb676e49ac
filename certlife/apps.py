from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CertlifeConfig(AppConfig):
    name = "certlife"
    verbose_name = "certlife platform"

    def ready(self):
        from certlife import signals
        from certlife.roles import sync_role_groups

        signals.connect()

        # Runs after every app's migrations, so later apps' permissions are included.
        post_migrate.connect(sync_role_groups, dispatch_uid="certlife.sync_role_groups")

        from certlife.navigation import NavigationEntry, register

        register(NavigationEntry("Platform", "Audit log", "audit-log", "certlife.view_auditevent"))
