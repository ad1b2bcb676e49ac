from urllib.parse import urlsplit

from django.db import models

from alerts.choices import URL_KINDS, AlertEvent, ChannelKind, DeliveryStatus
from certlife.encryption import EncryptedTextField


class AlertChannel(models.Model):
    """Somewhere alerts go besides the ACME account owner's email (spec N7): email
    addresses, or the URL of a generic JSON webhook, a Slack incoming webhook or a
    Microsoft Teams workflow. `target` is encrypted at rest; for the URL kinds it is a
    secret (the URL is the credential) and is never shown back."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    target = EncryptedTextField(help_text="Email addresses (comma-separated), or a URL.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def target_is_secret(self) -> bool:
        return self.kind in URL_KINDS

    @property
    def target_summary(self) -> str:
        """What may be shown of the target: the addresses, or a URL's scheme and host."""
        if not self.target_is_secret:
            return self.target
        try:
            parts = urlsplit(self.target)
            host = parts.hostname or ""
        except ValueError:
            return "(a URL)"
        return f"{parts.scheme}://{host}/…" if host else "(a URL)"

    @property
    def addresses(self) -> list[str]:
        return [address for address in self.target.split(",") if address.strip()]

    def secret_values(self) -> list[str]:
        return [self.target] if self.target_is_secret and self.target else []


class Alert(models.Model):
    """One alert: what happened, in plain words, and about which certificate. It goes
    out through one AlertDelivery per destination."""

    event = models.CharField(max_length=20, choices=AlertEvent.choices)
    certificate = models.ForeignKey(
        "acme_orders.Certificate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(max_length=255)
    message = models.TextField(help_text="Plain words, no secrets.")
    url = models.URLField(max_length=500, blank=True, help_text="Where to see or fix it.")
    certificate_facts = models.JSONField(
        default=dict,
        blank=True,
        help_text="{id, common_name, domains, not_after, days_left} when it was raised.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.subject


class AlertDelivery(models.Model):
    """One alert to one destination: a channel, or (channel empty) the built-in email to
    the ACME account owner and CERTLIFE_ALERT_RECIPIENTS. A failed delivery is tried
    again at `next_attempt_at` (alerts.delivery); the last error is kept in plain words."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(
        AlertChannel, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    recipients = models.TextField(
        blank=True, help_text="The owner email's addresses (comma-separated); blank for a channel."
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When to try (again); empty: no more."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"

    def __str__(self):
        return f"{self.alert} to {self.destination}"

    @property
    def destination(self) -> str:
        if self.channel_id is None:
            return "Account owner and extra recipients"
        return str(self.channel)


class ExpiryAlertSent(models.Model):
    """An expiry threshold already alerted for one certificate version (spec N4: once
    per version and threshold; a new version starts afresh). `threshold` is a label
    such as "15d" (days before expiry) or "0.3L" (a fraction of the lifetime left)."""

    version = models.ForeignKey(
        "acme_orders.CertificateVersion", on_delete=models.CASCADE, related_name="+"
    )
    threshold = models.CharField(max_length=16)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "threshold"], name="alerts_one_expiry_alert_per_threshold"
            )
        ]

    def __str__(self):
        return f"{self.version} {self.threshold}"
