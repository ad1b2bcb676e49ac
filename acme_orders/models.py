from django.conf import settings
from django.db import models
from django.utils import timezone

from acme_orders.choices import CertificateStatus
from certlife.encryption import EncryptedTextField


class Certificate(models.Model):
    """A certificate in the repository (Certificates >> Certificates, spec P4).

    Its names and status live here; each issuance or renewal adds a
    CertificateVersion, and `current_version` is the one in use.
    """

    common_name = models.CharField(max_length=253, db_index=True)
    domains = models.JSONField(default=list, help_text="Every name, common name first.")
    status = models.CharField(
        max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.ACTIVE
    )
    current_version = models.ForeignKey(
        "CertificateVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["common_name", "id"]
        permissions = [
            ("export_certificate", "Can export a certificate (without its private key)"),
            ("export_private_key", "Can export a certificate's private key"),
            ("renew_certificate", "Can renew a certificate"),
            ("revoke_certificate", "Can revoke a certificate"),
        ]

    def __str__(self):
        return self.common_name

    @property
    def days_left(self) -> int | None:
        if self.current_version is None:
            return None
        return (self.current_version.not_after - timezone.now()).days


class CertificateVersion(models.Model):
    """One issued certificate: the PEMs, the encrypted private key, and who or what
    (a person or the scheduler) brought it in (spec N2)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="versions")
    serial_number = models.CharField(max_length=64, help_text="Hexadecimal, lower case.")
    issuer = models.CharField(max_length=255)
    key_type = models.CharField(max_length=32, help_text='For example "RSA 2048" or "EC P-256".')
    not_before = models.DateTimeField()
    not_after = models.DateTimeField(db_index=True)
    certificate_pem = models.TextField()
    chain_pem = models.TextField(blank=True, help_text="Intermediates, leaf excluded.")
    private_key_pem = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_by_name = models.CharField(
        max_length=150, help_text="The user's name, or 'scheduler' for automatic renewals."
    )

    class Meta:
        ordering = ["-not_after", "-id"]

    def __str__(self):
        return f"{self.certificate} serial {self.serial_number}"
