from django.db import models


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class ExpiryBand(models.TextChoices):
    """How soon a certificate expires, as the dashboard and the list group them."""

    EXPIRED = "expired", "Expired"
    WITHIN_7_DAYS = "7", "Within 7 days"
    WITHIN_15_DAYS = "15", "Within 15 days"
    WITHIN_30_DAYS = "30", "Within 30 days"
    LATER = "later", "In more than 30 days"
