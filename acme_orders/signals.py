"""What the lifecycle announces to apps that depend on acme_orders (alerts): nothing in
acme_orders imports them, they connect receivers here."""

from django.dispatch import Signal

# An automatic renewal attempt failed (spec N4: alert at once). Sent with
# certificate=Certificate, error=str (plain words, secrets already removed).
automatic_renewal_failed = Signal()
