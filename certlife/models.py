from django.conf import settings
from django.db import models

from certlife.choices import AuditOutcome


class AuditEvent(models.Model):
    """One action by a person, a script or the scheduler (spec S2): who, what, when,
    from where, outcome. Written only through `certlife.audit.record_audit_event`;
    never holds a secret."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept as text so the event still names the actor after the user is deleted.
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    source = models.CharField(
        max_length=100, blank=True, help_text="IP address, or 'cli' / 'scheduler'."
    )
    outcome = models.CharField(
        max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"


class ServiceHeartbeat(models.Model):
    """Last time a background source (the scheduler through a worker) was seen alive,
    so the dashboard can say when renewals would silently not run."""

    source = models.CharField(max_length=50, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.source} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
