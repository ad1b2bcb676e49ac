import os

import pytest
from django.db import connection
from django.utils import timezone

from certlife.models import ServiceHeartbeat

pytestmark = pytest.mark.e2e


@pytest.mark.django_db
def test_database_is_the_configured_server_and_round_trips_a_row():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected

    seen = timezone.now().replace(microsecond=0)
    ServiceHeartbeat.objects.create(source="database-test", last_seen=seen)
    assert ServiceHeartbeat.objects.get(source="database-test").last_seen == seen
