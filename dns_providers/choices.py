from django.db import models


class ConnectionTestStatus(models.TextChoices):
    NEVER = "", "Not tested"
    RUNNING = "running", "Testing..."
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
