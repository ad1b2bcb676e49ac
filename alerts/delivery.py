"""Sending a delivery, recording the outcome, and trying failed ones again (spec N7).

A delivery is claimed by moving its `next_attempt_at` forward in a conditional UPDATE, so
two workers (or the task and the retry sweep) never send it twice at once. A failure is
recorded in plain words with the next attempt after the one backoff policy
(certlife.retry.backoff_seconds: about 1, 2, 4... minutes, at most 6 hours, with jitter;
a receiver's Retry-After when longer), for MAX_ATTEMPTS attempts; a permanent failure
(a refused destination, a 4xx answer, a mail server's 5xx) is not retried. Nothing here
raises into whoever raised the alert: a renewal never fails because an alert did."""

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from acme_orders.models import Certificate
from alerts import formats, transports
from alerts.choices import AlertEvent, ChannelKind, DeliveryStatus
from alerts.models import AlertDelivery
from certlife import unexpected_errors
from certlife.retry import backoff_seconds

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_BASE_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
# How long one attempt may hold a delivery (SMTP and HTTP time-outs are shorter).
SENDING_LEASE = timedelta(minutes=2)
# Deliveries handed to workers per sweep; the rest wait for the next minute.
RETRY_BATCH = 200
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def claim(delivery_id: int) -> bool:
    now = timezone.now()
    return (
        AlertDelivery.objects.filter(
            pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=now
        ).update(next_attempt_at=now + SENDING_LEASE)
        == 1
    )


def send(delivery: AlertDelivery) -> None:
    """One attempt; DeliveryError when it fails."""
    alert, channel = delivery.alert, delivery.channel
    if channel is None:
        transports.send_email(alert, [a.strip() for a in delivery.recipients.split(",")])
    elif channel.kind == ChannelKind.EMAIL:
        transports.send_email(alert, [a.strip() for a in channel.addresses])
    else:
        transports.post_json(channel.target, formats.PAYLOADS[channel.kind](alert))  # type: ignore[index]


def deliver(delivery_id: int) -> str | None:
    """Send a delivery that is due, and record how it went; its status, or None when
    it was not due or another worker holds it."""
    if not claim(delivery_id):
        return None
    delivery = AlertDelivery.objects.select_related("alert", "channel").get(pk=delivery_id)
    try:
        send(delivery)
    except transports.DeliveryError as error:
        record_failure(delivery, error.message, permanent=error.permanent, wait=error.retry_after)
    except Exception as error:
        secrets = delivery.channel.secret_values() if delivery.channel else []
        logger.error(
            "Alert delivery %s: unexpected error: %s",
            delivery.pk,
            unexpected_errors.describe(error, secrets=secrets),
        )
        record_failure(delivery, "certlife could not send it (an unexpected error).")
    else:
        record_success(delivery)
    return delivery.status


def record_success(delivery: AlertDelivery) -> None:
    now = timezone.now()
    delivery.status = DeliveryStatus.SENT
    delivery.attempts += 1
    delivery.sent_at = now
    delivery.next_attempt_at = None
    delivery.last_error = ""
    delivery.save(update_fields=["status", "attempts", "sent_at", "next_attempt_at", "last_error"])
    alert = delivery.alert
    if alert.certificate_id is not None and alert.event != AlertEvent.TEST:
        Certificate.objects.filter(pk=alert.certificate_id).update(last_alert_at=now)


def record_failure(
    delivery: AlertDelivery, message: str, *, permanent: bool = False, wait: float | None = None
) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.attempts += 1
    delivery.last_error = message
    if permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.next_attempt_at = None
    else:
        backoff = backoff_seconds(delivery.attempts, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS)
        seconds = min(max(backoff, wait or 0), BACKOFF_CAP_SECONDS)
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=seconds)
    delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    logger.warning(
        "Alert delivery %s to %s failed (attempt %s): %s",
        delivery.pk,
        delivery.destination,
        delivery.attempts,
        message,
    )


def due_delivery_ids(limit: int = RETRY_BATCH) -> list[int]:
    """Deliveries to try now: failed ones whose backoff is over, and pending ones whose
    first task was lost (a broker down at commit). One indexed query."""
    return list(
        AlertDelivery.objects.filter(
            Q(status__in=OPEN_STATUSES), next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
