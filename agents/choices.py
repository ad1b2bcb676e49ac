from django.db import models


class MappingKind(models.TextChoices):
    """How a name reaches its end server (docs/features.md V3, V4, V5)."""

    LINUX = "linux", "Linux server (SSH)"
    WINDOWS = "windows", "Pull agent"
    DNS = "dns", "DNS provider"


class DeploymentStatus(models.TextChoices):
    """A deployment's state, as the API spells it (docs/features.md V6)."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"
