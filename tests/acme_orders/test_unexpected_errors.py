"""Failing a request, cleaning up after it and mailing its certificate go through to a
recorded outcome whatever breaks on the way (no CA needed: nothing here reaches one)."""

import json
import logging

import pytest

from acme_orders import actions as request_actions
from acme_orders import pipeline, tasks
from acme_orders.models import CertificateRequest, Challenge
from certlife.models import AuditEvent
from dns_providers.models import DnsAccount
from tests.acme_orders.e2e_helpers import ScheduledSteps
from tests.factories import make_acme_account, make_certificate_pem, make_key_pem

pytestmark = pytest.mark.django_db

TSIG_SECRET = "bWFsZm9ybWVkLWFjY291bnQtc2VjcmV0LTQ3MTE="


@pytest.fixture
def account():
    return make_acme_account(name="CA")


@pytest.fixture
def malformed_dns_account(exploding_dns_library):
    """An RFC 2136 account on which dnspython raises EmptyLabel before sending anything
    (the library seam an unexpected error comes through)."""
    credentials = {
        "server": "192.0.2.53",
        "port": "53",
        "key_name": "certlife.key.",
        "key_secret": TSIG_SECRET,
        "algorithm": "hmac-sha256",
    }
    return DnsAccount.objects.create(
        provider="rfc2136", name="Old BIND", credentials=json.dumps(credentials)
    )


def make_request(account, name, *, status="validating", **fields) -> CertificateRequest:
    defaults = {
        "challenge_type": "dns-01",
        "key_algorithm": "EC",
        "key_size": 256,
        "signature_algorithm": "SHA256withECDSA",
        "keystore_type": "PEM",
        "order_url": "https://ca.example.net/order/1",
    }
    return CertificateRequest.objects.create(
        account=account, domains=[name], status=status, **{**defaults, **fields}
    )


def published_challenge(request, *, status="valid", published_with=None) -> Challenge:
    return Challenge.objects.create(
        request=request,
        domain=request.common_name,
        type="dns-01",
        authorization_url=f"https://ca.example.net/authz/{request.pk}",
        key_authorization="token.thumbprint",
        status=status,
        solver="dns",
        presented=True,
        published_record_name=f"_acme-challenge.{request.common_name}",
        published_with=published_with,
    )


def test_a_cleanup_that_raises_an_unexpected_error_still_fails_the_request(
    account, malformed_dns_account, caplog
):
    request = make_request(account, "cleanup.example.com")
    challenge = published_challenge(request, published_with=malformed_dns_account)
    tasks.fail_request(request, "The CA refused to issue the certificate (no reason given).")

    request.refresh_from_db()
    assert (request.status, request.error) == (
        "failed",
        "The CA refused to issue the certificate (no reason given).",
    )
    challenge.refresh_from_db()
    assert not challenge.cleaned_up  # left for the periodic sweep
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "dns.name.EmptyLabel" in logged
    assert TSIG_SECRET not in logged


def test_fail_request_marks_the_request_failed_when_its_helpers_blow_up(account, monkeypatch):
    """Deactivating needs a client, which may not be built (here: a bug in building it);
    and a bug in cleanup itself. Neither keeps the request from ending failed."""
    request = make_request(account, "helpers.example.com")
    published_challenge(request, status="pending")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "acme_client_for", broken)
    monkeypatch.setattr(pipeline, "cleanup_challenges", broken)
    tasks.fail_request(request, "Validation failed.")
    request.refresh_from_db()
    assert (request.status, request.error) == ("failed", "Validation failed.")
    assert AuditEvent.objects.filter(action="request.failed", target_id=str(request.pk)).exists()


def test_the_sweep_cleans_up_past_a_record_whose_cleanup_raises(
    account, malformed_dns_account, caplog
):
    broken = published_challenge(
        make_request(account, "broken.example.com", status="failed"),
        published_with=malformed_dns_account,
    )
    # Its DNS account was deleted since: cleanup has nothing to do but note it done.
    orphan = published_challenge(make_request(account, "orphan.example.com", status="failed"))

    tasks.resume_stalled_requests()
    broken.refresh_from_db()
    orphan.refresh_from_db()
    assert (broken.cleaned_up, orphan.cleaned_up) == (False, True)
    assert "dns.name.EmptyLabel" in caplog.text


def test_an_email_that_cannot_be_sent_is_recorded_as_failed(account, settings, caplog, closed_port):
    caplog.set_level(logging.ERROR)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    settings.EMAIL_TIMEOUT = 5
    key_pem = make_key_pem()
    request = make_request(
        account,
        "mail.example.com",
        status="available",
        keystore_type="PKCS12",
        keystore_password="store-pass-4711",
        private_key_pem=key_pem,
        certificate_pem=make_certificate_pem(["mail.example.com"], key_pem, days_left=80),
    )

    # Eager: the retries run at once, one after the other, as a worker would run them.
    tasks.send_certificate_email.apply(
        args=(request.pk, "someone@example.org"),
        kwargs={"export_format": "pkcs12", "include_key": True},
    )

    [failure] = AuditEvent.objects.filter(action="certificate.email", outcome="failure")
    assert failure.target_id == str(request.pk)
    assert failure.detail == {
        "to": "someone@example.org",
        "error": "ConnectionRefusedError: [Errno 111] Connection refused",
    }
    assert caplog.text.count("ConnectionRefusedError") >= 1
    assert "store-pass-4711" not in caplog.text


def test_a_temporary_error_is_shown_while_it_is_retried(
    account, monkeypatch, closed_port, allow_loopback
):
    """Not only unexpected errors: a CA out of reach is retried, and the request says so."""
    scheduled = ScheduledSteps()
    monkeypatch.setattr(tasks, "advance_certificate_request", scheduled)
    # Actions send by the name they imported: catch those too, or a session worker
    # started by an earlier test would run the step beside this test.
    monkeypatch.setattr(request_actions, "advance_certificate_request", scheduled)
    account.directory_url = f"https://127.0.0.1:{closed_port}/directory"  # nobody listens
    account.save(update_fields=["directory_url"])
    request = make_request(account, "unreachable.example.com", status="pending", order_url="")

    scheduled.run(request.pk)
    request.refresh_from_db()
    assert request.status == "pending"
    assert request.error.startswith("Retrying after a temporary error: Cannot reach the CA")
    assert request.error.endswith("(attempt 1)")
    [(_request_id, countdown)] = scheduled.sent
    assert 8 <= countdown <= 12
