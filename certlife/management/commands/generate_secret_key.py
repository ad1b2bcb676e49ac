from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Print a new key for CERTLIFE_SECRET_KEYS. To rotate, put it first in the list, "
        "keep the old keys after it, restart, then run rotate_secret_keys."
    )

    def handle(self, *args, **options):
        self.stdout.write(Fernet.generate_key().decode())
