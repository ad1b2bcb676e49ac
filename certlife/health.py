from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from certlife.celery import HEARTBEAT_INTERVAL_SECONDS
from certlife.models import ServiceHeartbeat

# Three missed beats mean the scheduler or every worker is down.
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_INTERVAL_SECONDS)


@dataclass(frozen=True)
class BackgroundStatus:
    last_seen: datetime | None

    @property
    def healthy(self) -> bool:
        return self.last_seen is not None and timezone.now() - self.last_seen < STALE_AFTER


def background_status() -> BackgroundStatus:
    """Whether scheduled work (renewals, alerts) is running, from the scheduler heartbeat."""
    heartbeat = ServiceHeartbeat.objects.filter(source="scheduler").first()
    return BackgroundStatus(last_seen=heartbeat.last_seen if heartbeat else None)
