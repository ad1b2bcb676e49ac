from celery import shared_task
from django.utils import timezone

from certlife.models import ServiceHeartbeat


@shared_task
def record_heartbeat(source: str) -> None:
    """Beat sends this every minute; a worker running it proves both are alive."""
    ServiceHeartbeat.objects.update_or_create(source=source, defaults={"last_seen": timezone.now()})
