import os
import secrets

from django.core.management.base import BaseCommand

from certlife.actions import ensure_first_administrator
from certlife.audit import current_source


class Command(BaseCommand):
    help = (
        "Create the administrator 'admin' unless an administrator exists. The password "
        "comes from CERTLIFE_ADMIN_PASSWORD, else a random one is printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        current_source.set("cli")
        given = os.environ.get("CERTLIFE_ADMIN_PASSWORD", "")
        password = given or secrets.token_urlsafe(15)
        if not ensure_first_administrator(username=username, password=password):
            self.stdout.write("An administrator exists already; left as it is.")
            return
        if given:
            self.stdout.write(f"Created administrator '{username}' with CERTLIFE_ADMIN_PASSWORD.")
        else:
            # Printed once, on purpose: it is the only way to learn the first password.
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created administrator '{username}' with password: {password}\n"
                    "It is not shown again; change it after logging in."
                )
            )
