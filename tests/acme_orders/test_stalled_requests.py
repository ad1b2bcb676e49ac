"""The sweep resumes requests whose worker died, and leaves alone those waiting for a
scheduled step or a person; a request whose worker keeps dying fails after a bound."""

from datetime import timedelta

import pytest
from django.utils import timezone

from acme_orders import actions as request_actions
from acme_orders import tasks
from acme_orders.models import CertificateRequest
from acme_orders.tasks import stalled_requests
from certlife.models import AuditEvent
from tests.acme_orders.e2e_helpers import ScheduledSteps
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_request():
    account = make_acme_account(name="CA")

    def make(name, *, status="validating", minutes_idle=10, **fields):
        request = CertificateRequest.objects.create(
            account=account,
            domains=[name],
            challenge_type="http-01",
            key_algorithm="EC",
            key_size=256,
            signature_algorithm="SHA256withECDSA",
            keystore_type="PEM",
            status=status,
            order_url="https://ca.example.net/order/1",
            **fields,
        )
        idle_since = timezone.now() - timedelta(minutes=minutes_idle)
        CertificateRequest.objects.filter(pk=request.pk).update(updated_at=idle_since)
        return request

    return make


def test_only_requests_nobody_will_pick_up_are_stalled(make_request):
    now = timezone.now()
    died = make_request("died.example.com")
    make_request("busy.example.com", lease_until=now + timedelta(seconds=30))
    make_request("scheduled.example.com", next_step_at=now + timedelta(minutes=4))
    overdue = make_request("overdue.example.com", next_step_at=now - timedelta(minutes=5))
    make_request("fresh.example.com", minutes_idle=0)
    make_request("waits-for-person.example.com", status="pending")
    # A retry scheduled while it waited for a person, whose message was lost.
    lost_retry = make_request(
        "lost-retry.example.com", status="pending", next_step_at=now - timedelta(minutes=5)
    )
    make_request("done.example.com", status="available")
    assert {r.pk for r in stalled_requests()} == {died.pk, overdue.pk, lost_retry.pk}


def test_the_sweep_stops_restarting_a_request_whose_worker_keeps_dying(make_request, monkeypatch):
    scheduled = ScheduledSteps()
    monkeypatch.setattr(tasks, "advance_certificate_request", scheduled)
    # Actions send by the name they imported: catch those too, or a session worker
    # started by an earlier test would run the step beside this test.
    monkeypatch.setattr(request_actions, "advance_certificate_request", scheduled)
    request = make_request("dies.example.com")
    for restart in range(1, tasks.MAX_STEP_ATTEMPTS + 1):
        scheduled.sent.clear()
        tasks.resume_stalled_requests()
        assert scheduled.sent == [(request.pk, 0)]
        # The worker that takes the step claims it, then is killed (out of memory, say).
        assert tasks.claim(request.pk)
        assert CertificateRequest.objects.get(pk=request.pk).interrupted_steps == restart
        long_ago = timezone.now() - timedelta(minutes=10)
        CertificateRequest.objects.filter(pk=request.pk).update(
            lease_until=long_ago, updated_at=long_ago
        )

    scheduled.sent.clear()
    tasks.resume_stalled_requests()
    assert scheduled.sent == [(request.pk, 0)]
    scheduled.run(request.pk)  # the attempt after the last one gives up, running nothing
    request.refresh_from_db()
    assert request.status == "failed"
    assert request.error == (
        "The step waiting for the CA to validate did not finish in 5 attempts: the worker "
        "stopped or restarted each time. Start a New challenge or report this."
    )
    assert AuditEvent.objects.filter(action="request.failed", outcome="failure").count() == 1
    scheduled.sent.clear()
    tasks.resume_stalled_requests()
    assert scheduled.sent == []
