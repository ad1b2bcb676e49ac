from django.db import models


class ConnectionTestStatus(models.TextChoices):
    NEVER = "", "Not tested"
    RUNNING = "running", "Testing..."
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class DnsAccountState(models.TextChoices):
    """The `?status=` filter of the DNS account list (the `enabled` flag, docs/features.md D1)."""

    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"
