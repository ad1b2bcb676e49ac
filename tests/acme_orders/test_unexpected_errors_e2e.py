"""An unexpected exception in a pipeline step (a bug, a library error nobody mapped)
never leaves a request active and silent: it is retried with backoff, the request says
so, and after MAX_STEP_ATTEMPTS it fails in plain words, its authorizations deactivated
at the CA. Against Pebble and BIND9; the test plays the worker (ScheduledSteps)."""

import json
import logging

import pytest

from accounts.acme_client import acme_client_for
from acme_orders import actions, caa, tasks
from acme_orders.models import CertificateRequest
from certlife.models import AuditEvent
from dns_providers.models import DnsAccount
from tests.acme_orders.e2e_helpers import (
    ScheduledSteps,
    new_request,
    post_as_get,
    secret_fragments,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scheduled(monkeypatch):
    stand_in = ScheduledSteps()
    monkeypatch.setattr(tasks, "advance_certificate_request", stand_in)
    # Actions send by the name they imported: catch those too, or a session worker
    # started by an earlier test would run the step beside this test.
    monkeypatch.setattr(actions, "advance_certificate_request", stand_in)
    return stand_in


@pytest.fixture
def broken_caa_lookup(monkeypatch):
    """A bug in the CAA check before the order: a KeyError nobody maps."""

    def raise_key_error(*args, **kwargs):
        raise KeyError("x")

    monkeypatch.setattr(caa, "ca_identities", raise_key_error)
    return monkeypatch


def run_step(scheduled, request_id) -> CertificateRequest:
    scheduled.sent.clear()
    scheduled.run(request_id)
    return CertificateRequest.objects.get(pk=request_id)


def test_an_unexpected_error_is_retried_with_backoff_then_fails_the_request(
    scheduled, broken_caa_lookup, pebble_account, administrator, caplog
):
    caplog.set_level(logging.INFO)
    request = new_request(pebble_account, administrator, ["unexpected.example.com"])
    for attempt in range(1, tasks.MAX_STEP_ATTEMPTS):
        request = run_step(scheduled, request.pk)
        assert request.status == "pending"
        assert request.error == (
            "Retrying after an unexpected error while placing the order: KeyError: 'x' "
            f"(attempt {attempt} of 5)"
        )
        [(request_id, countdown)] = scheduled.sent
        assert request_id == request.pk
        assert 2**attempt * 5 * 0.8 <= countdown <= 2**attempt * 5 * 1.2
        assert request.next_step_at is not None  # the stalled sweep knows one is due

    request = run_step(scheduled, request.pk)
    assert request.status == "failed"
    assert request.error == (
        "Unexpected error while placing the order: KeyError: 'x'. certlife tried 5 times; "
        "start a New challenge or report this."
    )
    assert scheduled.sent == []
    assert request.next_step_at is None and request.lease_until is None
    failed = AuditEvent.objects.get(action="request.failed", target_id=str(request.pk))
    assert (failed.outcome, failed.detail["error"]) == ("failure", request.error)
    tracebacks = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(tracebacks) == 5
    assert "Traceback (most recent call last)" in tracebacks[-1]
    assert 'raise KeyError("x")' in tracebacks[-1]

    # A New challenge starts counting again from the first attempt.
    actions.new_challenge(request, actor=administrator)
    request = run_step(scheduled, request.pk)
    assert request.status == "pending" and "(attempt 1 of 5)" in request.error


def test_a_step_that_goes_through_after_unexpected_errors_clears_the_notice(
    scheduled, broken_caa_lookup, pebble_account, administrator
):
    request = new_request(pebble_account, administrator, ["recovers.example.com"])
    run_step(scheduled, request.pk)
    assert run_step(scheduled, request.pk).error.startswith("Retrying after an unexpected")
    broken_caa_lookup.undo()  # the cause went away (a restarted worker, a fixed DNS server)

    request = run_step(scheduled, request.pk)
    assert request.status == "pending" and request.order_url
    assert request.challenges.count() == 1
    assert (request.error, request.interrupted_steps) == ("", 0)


def test_an_unexpected_error_quoting_secrets_shows_and_logs_none_of_them(
    scheduled, monkeypatch, pebble_account, administrator, caplog
):
    request = new_request(
        pebble_account,
        administrator,
        ["quoting.example.com"],
        keystore_type="PKCS12",
        keystore_password="keystore-pass-4711",
    )
    account_key_line = pebble_account.key_pem.splitlines()[1]

    def quote_secrets(*args, **kwargs):
        raise RuntimeError(f"bad input {account_key_line!r} with password keystore-pass-4711")

    monkeypatch.setattr(caa, "ca_identities", quote_secrets)
    request = run_step(scheduled, request.pk)
    assert request.error == (
        "Retrying after an unexpected error while placing the order: RuntimeError: bad input "
        "'[redacted]' with password [redacted] (attempt 1 of 5)"
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError: bad input '[redacted]'" in logged
    secrets = [*secret_fragments(pebble_account.key_pem), "keystore-pass-4711"]
    assert [secret for secret in secrets if secret in logged + request.error] == []


def test_a_dns_account_with_malformed_stored_credentials_fails_the_request_in_plain_words(
    scheduled, pebble_account, administrator, bind_dns, caplog, exploding_dns_library
):
    """dnspython raises its own EmptyLabel on the account's exchanges, which no
    provider maps. The order is placed, so its authorization is open at the CA."""
    malformed = DnsAccount.objects.create(
        provider="rfc2136",
        name="Old BIND",
        credentials=json.dumps(
            {
                "server": bind_dns.host,
                "port": str(bind_dns.port),
                "key_name": bind_dns.tsig_key_name,
                "key_secret": bind_dns.tsig_secret,
                "algorithm": "hmac-sha256",
            }
        ),
    )
    request = new_request(
        pebble_account,
        administrator,
        ["malformed-dns.example.com"],
        challenge_type="dns-01",
        dns_account=malformed,
    )
    for _attempt in range(tasks.MAX_STEP_ATTEMPTS):
        request = run_step(scheduled, request.pk)

    assert request.status == "failed"
    assert request.error == (
        "Unexpected error while publishing the challenges: EmptyLabel: A DNS label is "
        "empty. certlife tried 5 times; start a New challenge or report this."
    )
    [challenge] = request.challenges.all()
    assert challenge.status == "deactivated"
    authorization = post_as_get(acme_client_for(pebble_account), challenge.authorization_url)
    assert authorization.json()["status"] == "deactivated"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "dns.name.EmptyLabel" in logged
    assert bind_dns.tsig_secret not in logged + request.error
