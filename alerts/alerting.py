"""Raising an alert: one Alert row, one AlertDelivery per destination, and a Celery task
per delivery sent on commit (the sending talks to the network). Nothing here raises into
the caller's work for a delivery; a delivery that fails is retried by alerts.delivery."""

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from acme_orders.models import Certificate
from alerts.choices import AlertEvent
from alerts.models import Alert, AlertChannel, AlertDelivery

logger = logging.getLogger(__name__)


def owner_email(certificate: Certificate) -> str:
    """The ACME account owner's address: the account of the current version, else of
    the certificate's latest request."""
    version = certificate.current_version
    if version is not None and version.account_id is not None:
        return version.account.email  # type: ignore[union-attr]
    request = certificate.requests.select_related("account").order_by("-created_at").first()
    return request.account.email if request else ""


def owner_recipients(certificate: Certificate | None) -> list[str]:
    """The built-in email's recipients: the owner's address, then
    CERTLIFE_ALERT_RECIPIENTS, each once (case-insensitive)."""
    candidates = [owner_email(certificate) if certificate else ""]
    candidates += settings.CERTLIFE_ALERT_RECIPIENTS
    seen, recipients = set(), []
    for address in (candidate.strip() for candidate in candidates):
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(address)
    return recipients


def raise_alert(
    event: str,
    *,
    subject: str,
    message: str,
    url: str = "",
    certificate: Certificate | None = None,
    certificate_facts: dict | None = None,
    channels=None,
) -> Alert:
    """Record the alert and its deliveries: the built-in owner email (with a certificate
    or extra recipients) and every enabled channel, or only `channels` when given (a
    test). Each delivery is sent by a task after commit."""
    alert = Alert.objects.create(
        event=event,
        certificate=certificate,
        subject=subject[:255],
        message=message,
        url=url,
        certificate_facts=certificate_facts or {},
    )
    now = timezone.now()
    deliveries = []
    if channels is None:
        recipients = owner_recipients(certificate)
        if recipients:
            deliveries.append(
                AlertDelivery(alert=alert, recipients=", ".join(recipients), next_attempt_at=now)
            )
        channels = AlertChannel.objects.filter(enabled=True)
    deliveries += [AlertDelivery(alert=alert, channel=c, next_attempt_at=now) for c in channels]
    created = AlertDelivery.objects.bulk_create(deliveries)
    for delivery in created:
        transaction.on_commit(partial(_send_later, delivery.pk), robust=True)
    return alert


def _send_later(delivery_id: int) -> None:
    from alerts.tasks import deliver_alert

    # A broker that cannot be reached leaves the delivery pending: the retry sweep
    # sends it later (alerts.tasks.retry_alert_deliveries).
    deliver_alert.delay(delivery_id)


def raise_alert_quietly(event: str, **kwargs) -> Alert | None:
    """raise_alert for signal receivers: whatever goes wrong is logged, never raised
    into the caller, and leaves the caller's transaction usable (a savepoint)."""
    try:
        with transaction.atomic():
            return raise_alert(event, **kwargs)
    except Exception:
        logger.exception("The %s alert could not be recorded.", AlertEvent(event).label)
        return None
