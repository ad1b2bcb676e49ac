"""The sweep resumes requests whose worker died, and leaves alone those waiting for a
scheduled step or a person."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AcmeAccount
from acme_orders.models import CertificateRequest
from acme_orders.tasks import stalled_requests
from tests.factories import make_key_pem

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_request():
    account = AcmeAccount.objects.create(
        name="CA",
        email="ops@example.com",
        directory_url="https://ca.example.net/dir",
        key_pem=make_key_pem(),
        account_url="https://ca.example.net/acct/1",
    )

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
    make_request("done.example.com", status="available")
    assert {r.pk for r in stalled_requests()} == {died.pk, overdue.pk}
