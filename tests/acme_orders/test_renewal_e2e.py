"""Automatic renewal against the vendored Pebble (ARI, profiles, `replaces`), BIND9 taking
the DNS-01 records, and a real Celery worker and beat where the scheduler must act on
its own (spec N3, N5, N6)."""

import http.server
import json
import threading
import time
from datetime import timedelta

import pytest
from cryptography import x509
from django.utils import timezone

from accounts.acme import gateway
from accounts.acme_client import acme_client_for
from accounts.actions import register_account
from accounts.models import AcmeAccount
from acme_orders import renewal, tasks
from acme_orders.actions import save_to_repository
from acme_orders.models import Certificate, CertificateRequest
from certlife.celery import app
from dns_providers.actions import create_dns_account
from tests.acme_orders.e2e_helpers import (
    InProcessWorker,
    finished,
    new_request,
    request_body,
    wait_for_request,
)
from tests.acme_orders.renewal_helpers import pebble_like_certificate
from tests.acme_orders.test_dns_issuance_e2e import harness_bind_credentials
from tests.factories import make_key_pem

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ari_account(transactional_db, acme_environment, ari_pebble, administrator):
    return register_account(
        actor=administrator,
        name="Pebble with ARI",
        email="admin@example.com",
        directory=ari_pebble.directory_url,
        agree_tos=True,
    )


@pytest.fixture
def bind_account(bind_dns, administrator):
    return create_dns_account(
        provider="rfc2136",
        name="Harness BIND",
        credentials=harness_bind_credentials(bind_dns),
        actor=administrator,
    )


def cert_id(certificate_pem: str) -> str:
    return gateway.renewal_cert_id(x509.load_pem_x509_certificate(certificate_pem.encode()))


def order_at_ca(account: AcmeAccount, order_url: str) -> dict:
    """The order as the CA holds it (RFC 9773 section 5: it echoes `replaces`)."""
    return gateway.fetch_resource(acme_client_for(account), order_url).json()


def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


def test_a_certificate_of_minutes_renews_itself_in_real_time_carrying_replaces(
    celery_worker, celery_beat, api_as, administrator, ari_account, bind_account
):
    api = api_as(administrator)
    body = request_body(
        ari_account,
        ["minutes.example.com"],
        challenge_type="dns-01",
        dns_account=bind_account.pk,
        profile="minutes",
    )
    request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
    done = wait_for_request(api, request_id, finished)
    assert done["status"] == "available", done["error"]
    certificate_id = api.post(f"/api/v1/requests/{request_id}/save/").json()["certificate"]
    first = Certificate.objects.get(pk=certificate_id).current_version
    assert first.not_after - first.not_before < timedelta(minutes=5)

    # Nobody acts from here on: beat's sweeps and the worker renew it.
    def renewed():
        certificate = Certificate.objects.get(pk=certificate_id)
        return certificate.current_version_id != first.pk and certificate

    seconds_left = (first.not_after - timezone.now()).total_seconds()
    certificate = wait_until(renewed, seconds_left, "the renewal before expiry")

    second = certificate.current_version
    assert second.not_before < first.not_after
    assert second.created_by_name == "scheduler"
    # The new version is scheduled by the CA's window too, asked when it was saved.
    wait_until(
        lambda: Certificate.objects.filter(pk=certificate_id, renewal_source="ari").exists(),
        30,
        "the ARI schedule of the new version",
    )
    automatic = CertificateRequest.objects.get(
        certificate=certificate, replaces=cert_id(first.certificate_pem)
    )
    assert automatic.automatic and automatic.status == "saved"
    assert order_at_ca(ari_account, automatic.order_url)["replaces"] == cert_id(
        first.certificate_pem
    )

    # A second sweep in the same window renews nothing twice.
    renewal.run_renewal_sweep()
    assert CertificateRequest.objects.filter(replaces=cert_id(first.certificate_pem)).count() == 1


@pytest.fixture
def in_process_tasks(monkeypatch):
    """The pipeline runs in this process (InProcessWorker); ARI refreshes queued by a
    save are recorded, and the test asks ARI itself."""
    worker = InProcessWorker(monkeypatch)
    refreshes = []
    monkeypatch.setattr(
        app.tasks[tasks.refresh_renewal_info.name],
        "apply_async",
        lambda *args, **kwargs: refreshes.append(args),
    )
    return worker


def issue_and_save(worker, account, dns_account, actor, name, profile="default") -> Certificate:
    request = new_request(
        account, actor, [name], challenge_type="dns-01", dns_account=dns_account, profile=profile
    )
    issued = worker.drive(request.pk)
    assert issued.status == "available", issued.error
    return save_to_repository(issued, actor=actor)


def window(start, end) -> str:
    return json.dumps({"suggestedWindow": {"start": start.isoformat(), "end": end.isoformat()}})


def test_a_past_window_renews_once_and_a_replaced_certificate_is_ordered_without_replaces(
    in_process_tasks, ari_pebble, ari_account, bind_account, administrator
):
    certificate = issue_and_save(
        in_process_tasks, ari_account, bind_account, administrator, "past.example.com"
    )
    first = certificate.current_version
    renewal.refresh_renewal_info(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.renewal_source == "ari"
    assert certificate.renewal_window_start <= certificate.renewal_due_at
    assert certificate.renewal_due_at > timezone.now() + timedelta(days=50)
    assert certificate.ari_next_check_at == certificate.ari_checked_at + timedelta(hours=6)

    now = timezone.now()
    ari_pebble.set_renewal_info(
        first.certificate_pem, window(now - timedelta(days=2), now - timedelta(days=1))
    )
    renewal.refresh_renewal_info(certificate.pk)
    assert renewal.run_renewal_sweep().started == [certificate.pk]
    # Asked again, the window is still past: no second renewal while one runs.
    renewal.refresh_renewal_info(certificate.pk)
    assert renewal.run_renewal_sweep().started == []

    automatic = CertificateRequest.objects.get(certificate=certificate, automatic=True)
    assert automatic.replaces == cert_id(first.certificate_pem)
    automatic = in_process_tasks.drive(automatic.pk)
    assert automatic.status == "saved", automatic.error
    certificate.refresh_from_db()
    assert certificate.current_version != first  # saved at once
    assert certificate.versions.count() == 2
    assert order_at_ca(ari_account, automatic.order_url)["replaces"] == automatic.replaces
    renewal.refresh_renewal_info(certificate.pk)
    assert renewal.run_renewal_sweep().started == []  # the new version is not due
    assert certificate.requests.filter(automatic=True).count() == 1

    # The first version is already replaced at the CA: renewing it again (as if the
    # second had not been saved here) is refused alreadyReplaced, then ordered without.
    Certificate.objects.filter(pk=certificate.pk).update(
        current_version=first, expires_at=first.not_after, renewal_due_at=timezone.now()
    )
    assert renewal.run_renewal_sweep().started == [certificate.pk]
    again = certificate.requests.filter(automatic=True).exclude(pk=automatic.pk).get()
    assert again.replaces == automatic.replaces
    again = in_process_tasks.drive(again.pk)
    assert again.status == "saved", again.error
    assert again.replaces == ""
    assert "replaces" not in order_at_ca(ari_account, again.order_url)


@pytest.mark.parametrize(
    "answer",
    ["this is not JSON", "end-before-start", '{"suggestedWindow": {}}'],
    ids=["bad-json", "end-before-start", "no-window"],
)
def test_an_unusable_window_falls_back_to_the_lifetime_and_asks_again_later(
    answer, in_process_tasks, ari_pebble, ari_account, bind_account, administrator
):
    certificate = issue_and_save(
        in_process_tasks, ari_account, bind_account, administrator, "odd.example.com"
    )
    version = certificate.current_version
    if answer == "end-before-start":
        answer = window(version.not_before + timedelta(days=60), version.not_before)
    ari_pebble.set_renewal_info(version.certificate_pem, answer)
    renewal.refresh_renewal_info(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.renewal_source == "lifetime"
    lifetime = version.not_after - version.not_before
    assert certificate.renewal_due_at <= version.not_before + lifetime * 2 / 3
    assert certificate.renewal_due_at > version.not_before + lifetime * 0.65
    assert certificate.ari_next_check_at == certificate.ari_checked_at + timedelta(hours=6)


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("5", timedelta(minutes=1)), ("7200", timedelta(hours=2)), ("604800", timedelta(hours=12))],
)
def test_the_cas_retry_after_is_clamped(retry_after, wait, db, allow_loopback):
    """A CA standing in for one whose Retry-After is short or long (Pebble's is fixed)."""
    not_after = timezone.now() + timedelta(days=30)

    class FakeCa(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/directory":
                body = {name: f"{base}/{name}" for name in ("newAccount", "newNonce", "newOrder")}
                body["renewalInfo"] = f"{base}/renewal-info"
                headers = {}
            else:
                body = json.loads(
                    window(not_after - timedelta(days=12), not_after - timedelta(days=10))
                )
                headers = {"Retry-After": retry_after}
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeCa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        account = AcmeAccount.objects.create(
            name="Fake CA",
            email="ops@example.com",
            directory_url=f"{base}/directory",
            key_pem=make_key_pem(),
            account_url=f"{base}/acct/1",
        )
        certificate = Certificate.objects.create(common_name="a.example.com")
        version = certificate.versions.create(
            serial_number="1",
            issuer="Fake",
            key_type="EC P-256",
            not_before=not_after - timedelta(days=90),
            not_after=not_after,
            certificate_pem=pebble_like_certificate(),
            private_key_pem="",
            account=account,
            created_by_name="test",
        )
        Certificate.objects.filter(pk=certificate.pk).update(
            current_version=version, expires_at=version.not_after
        )
        renewal.refresh_renewal_info(certificate.pk)
    finally:
        server.shutdown()
        server.server_close()
    certificate.refresh_from_db()
    assert certificate.renewal_source == "ari"
    assert certificate.ari_next_check_at - certificate.ari_checked_at == wait


def test_backoff_is_1_10_100_minutes_then_daily_across_a_worker_restart(
    celery_worker, ari_account, bind_account, administrator, monkeypatch
):
    # The first version is issued in this process; the renewals by the real worker.
    worker = InProcessWorker(monkeypatch)
    monkeypatch.setattr(
        app.tasks[tasks.refresh_renewal_info.name], "apply_async", lambda *a, **k: None
    )
    certificate = issue_and_save(
        worker, ari_account, bind_account, administrator, "backoff.example.com"
    )
    monkeypatch.undo()
    # The DNS account's TSIG secret goes bad: every renewal now fails at BIND.
    credentials = json.loads(bind_account.credentials)
    credentials["key_secret"] = "c2VjcmV0LXRoYXQtYmluZC1kb2VzLW5vdC1rbm93"
    bind_account.credentials = json.dumps(credentials)
    bind_account.save()

    now = certificate.renewal_due_at
    expected = [timedelta(minutes=1), timedelta(minutes=10), timedelta(minutes=100)]
    expected += [timedelta(days=1), timedelta(days=1)]
    for failures, wait in enumerate(expected, start=1):
        if failures == 3:
            celery_worker.process.stop(timeout=10)
            celery_worker.process.start()
            celery_worker.process.wait_ready(
                lambda: bool(app.control.ping(destination=[celery_worker.hostname], timeout=0.5))
            )
        assert renewal.run_renewal_sweep(now).started == [certificate.pk]

        def failed(count=failures, pk=certificate.pk):
            return Certificate.objects.filter(pk=pk, renewal_failures=count).first()

        certificate = wait_until(failed, 120, f"failure {failures}")
        attempt = certificate.requests.filter(automatic=True).latest("created_at")
        assert attempt.status == "failed"
        assert certificate.renewal_last_error == attempt.error
        assert certificate.renewal_due_at == certificate.renewal_next_attempt_at
        waited = certificate.renewal_next_attempt_at - attempt.updated_at
        assert wait - timedelta(seconds=5) <= waited <= wait + timedelta(seconds=5)
        # Not before the backoff is over ...
        assert (
            renewal.run_renewal_sweep(
                certificate.renewal_next_attempt_at - timedelta(seconds=1)
            ).started
            == []
        )
        # ... and then, at the next sweep.
        now = certificate.renewal_next_attempt_at
