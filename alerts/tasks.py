"""Celery tasks of alerts (docs/conventions.md point 3); the periodic ones are declared
in certlife/celery.py."""

from celery import shared_task

from alerts import delivery, expiry


@shared_task(ignore_result=True)
def deliver_alert(delivery_id: int) -> None:
    """Send one delivery if it is due; a failure is recorded on it, never raised."""
    delivery.deliver(delivery_id)


@shared_task(ignore_result=True)
def send_expiry_alerts() -> None:
    expiry.send_expiry_alerts()


@shared_task(ignore_result=True)
def retry_alert_deliveries() -> None:
    """Hand every delivery whose next attempt is due to a worker."""
    for delivery_id in delivery.due_delivery_ids():
        deliver_alert.delay(delivery_id)
