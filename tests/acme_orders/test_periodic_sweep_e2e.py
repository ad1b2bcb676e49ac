"""The periodic sweep (spec D8): beat really schedules it, and what it runs removes a TXT
record that a finished request left in the harness BIND9 (a cleanup that failed, or a
worker that died between the CA's answer and the cleanup)."""

from datetime import timedelta

import pytest
from celery.schedules import schedule as interval_schedule

from acme_orders import tasks
from acme_orders.models import CertificateRequest, Challenge
from acme_orders.solvers import DnsAccountSolver
from certlife.celery import app
from dns_providers.actions import create_dns_account
from tests.acme_orders.test_dns_issuance_e2e import harness_bind_credentials
from tests.factories import make_acme_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

# Often enough that a left record lives minutes, not hours; not so often that the
# sweep's queries run back to back.
SANE_INTERVAL = (timedelta(seconds=10), timedelta(minutes=10))


def interval_of(entry: dict) -> timedelta:
    every = entry["schedule"]
    if isinstance(every, int | float):
        return timedelta(seconds=every)
    if isinstance(every, timedelta):
        return every
    if isinstance(every, interval_schedule):
        return every.run_every
    raise AssertionError(f"unexpected schedule {every!r}: teach this test to read it")


def scheduled_sweep():
    """The beat entry whose task name resolves to the registered sweep task."""
    sweep = app.tasks[tasks.resume_stalled_requests.name]
    entries = [
        entry for entry in app.conf.beat_schedule.values() if app.tasks.get(entry["task"]) is sweep
    ]
    assert len(entries) == 1, f"beat schedules the sweep {len(entries)} times"
    return entries[0], sweep


def test_beat_schedules_the_sweep_at_a_sane_interval():
    entry, _sweep = scheduled_sweep()
    low, high = SANE_INTERVAL
    assert low <= interval_of(entry) <= high


@pytest.fixture
def finished_request_with_a_left_record(acme_environment, bind_dns, administrator):
    """A failed request whose DNS-01 record was published in BIND and never removed."""
    dns_account = create_dns_account(
        provider="rfc2136",
        name="Harness BIND",
        credentials=harness_bind_credentials(bind_dns),
        actor=administrator,
    )
    account = make_acme_account(name="CA")
    request = CertificateRequest.objects.create(
        account=account,
        domains=["left-behind.example.com"],
        challenge_type="dns-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        dns_account=dns_account,
        order_url="https://ca.example.net/order/1",
    )
    challenge = Challenge.objects.create(
        request=request,
        domain="left-behind.example.com",
        type="dns-01",
        authorization_url="https://ca.example.net/authz/1",
        token="left-token",
        key_authorization="left-token.thumbprint",
        solver="dns",
    )
    DnsAccountSolver().present(challenge)  # the real write, through the DNS account
    challenge.presented = True
    challenge.save(update_fields=["presented"])
    request.status = "failed"
    request.save(update_fields=["status"])
    return challenge


def test_the_scheduled_sweep_removes_a_left_txt_record_from_bind(
    finished_request_with_a_left_record, bind_dns
):
    challenge = finished_request_with_a_left_record
    name = challenge.txt_name
    bind_dns.add_txt(name, "someone-elses-value")  # not ours: the sweep leaves it
    assert set(bind_dns.query(name, "TXT")) == {challenge.txt_value, "someone-elses-value"}

    _entry, sweep = scheduled_sweep()
    sweep()  # what beat sends every interval, run here in the test's process

    assert bind_dns.query(name, "TXT") == ["someone-elses-value"]
    challenge.refresh_from_db()
    assert challenge.cleaned_up
    bind_dns.delete_txt(name)
