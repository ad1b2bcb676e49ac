from django.db import models

from accounts.choices import AccountStatus
from certlife.encryption import EncryptedTextField


class AcmeAccount(models.Model):
    """An account at one ACME CA (Manage >> Accounts, docs/features.md A1-A8).

    One account per directory URL (A7). The account key is encrypted at rest and
    leaves certlife only through the audited export (A4). Written only through
    `accounts.actions`.
    """

    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    directory_url = models.URLField(max_length=500, unique=True)
    key_pem = EncryptedTextField(help_text="The account's private key (PEM).")
    account_url = models.URLField(max_length=500, help_text="The account's URL at the CA (kid).")
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.VALID
    )
    tos_agreed_at = models.DateTimeField(null=True, blank=True)
    eab_kid = models.CharField("EAB key ID", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "ACME account"
        permissions = [
            ("export_account_key", "Can export an ACME account key"),
            ("deactivate_account", "Can deactivate an ACME account at its CA"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_valid(self) -> bool:
        return self.status == AccountStatus.VALID
