from django.db import models


class ChannelKind(models.TextChoices):
    """Where an alert channel sends (spec N7). The value is the API's `kind`."""

    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (JSON)"
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


# Kinds whose target is a URL: a webhook URL carries its own secret, so it is
# write-only (never shown back in the API, pages or logs).
URL_KINDS = frozenset({ChannelKind.WEBHOOK, ChannelKind.SLACK, ChannelKind.TEAMS})


class AlertEvent(models.TextChoices):
    """What an alert is about; the value is the webhook JSON's `event`."""

    EXPIRY = "expiry", "Certificate expires soon"
    RENEWAL_FAILED = "renewal_failed", "Automatic renewal failed"
    DEPLOYMENT_FAILED = "deployment_failed", "Deployment failed"
    TEST = "test", "Test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ChannelState(models.TextChoices):
    """The list filter `?status=`."""

    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"
