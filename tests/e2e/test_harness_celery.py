import time

import pytest

from certlife.models import ServiceHeartbeat
from certlife.tasks import record_heartbeat

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_worker_runs_task_against_test_database(celery_worker):
    record_heartbeat.delay("e2e-test")

    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while not ServiceHeartbeat.objects.filter(source="e2e-test").exists():
        assert time.monotonic() < deadline, (
            f"the worker did not record the heartbeat; its log:\n{celery_worker.process.log_tail()}"
        )
        time.sleep(0.2)
