"""What deployments announce to apps that depend on agents (alerts)."""

from django.dispatch import Signal

# A deployment to an end server failed or was rolled back (spec V6: it alerts). Sent
# with deployment=agents.models.Deployment, error=str (plain words, no secrets).
deployment_failed = Signal()

# Agent mappings were created, changed, trusted or deleted, so a name's solver may
# differ now (spec V7, V8); acme_orders chooses the solvers of pending requests again.
# Sent inside the action's transaction with actor=the user.
mappings_changed = Signal()

# A deployment is about to send a certificate version's private key to an end server.
# Sent with deployment=agents.models.Deployment, recipient=str (where the key goes).
# acme_orders/key_release.py records it as the release of the key (the one gate for
# keys leaving certlife; agents does not import acme_orders).
private_key_sent = Signal()
