"""What deployments announce to apps that depend on agents (alerts)."""

from django.dispatch import Signal

# A deployment to an end server failed or was rolled back (spec V6: it alerts). Sent
# with deployment=agents.models.Deployment, error=str (plain words, no secrets).
deployment_failed = Signal()
