from django.db import models


class MappingKind(models.TextChoices):
    """How a name reaches its end server (docs/features.md V3, V4, V5)."""

    LINUX = "linux", "Linux server (SSH)"
    WINDOWS = "windows", "Pull agent"
    DNS = "dns", "DNS provider"
