"""Test connection always ends with an outcome: a provider that raises something nobody
mapped fails the test in plain words, and a test that never finishes (its worker died,
or none took it) shows failed after CONNECTION_TEST_TIMEOUT and is recorded so by the
periodic sweep."""

import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from certlife.celery import app as celery_app
from certlife.models import AuditEvent
from dns_providers.actions import start_connection_test
from dns_providers.models import DnsAccount
from dns_providers.tasks import fail_unfinished_connection_tests
from dns_providers.tasks import test_dns_account_connection as run_connection_test

TSIG_SECRET = "bWFsZm9ybWVkLWFjY291bnQtc2VjcmV0LTQ3MTE="
EXPLODED = (
    "Unexpected error while testing the connection: EmptyLabel: A DNS label is empty. "
    "Check the account's settings and save them again, or report this."
)
STORED_BROKEN = (
    "RFC 2136: the DNS account's stored credentials break the rules (key_name); edit the "
    "DNS account and enter them again"
)
UNFINISHED = (
    "The test did not finish within 2 minutes; the worker may be down. Check that the "
    "worker runs (the dashboard shows it), then test again."
)


def rfc2136_account(key_name="certlife.key.") -> DnsAccount:
    credentials = {
        "server": "192.0.2.53",
        "port": "53",
        "key_name": key_name,
        "key_secret": TSIG_SECRET,
        "algorithm": "hmac-sha256",
    }
    return DnsAccount.objects.create(
        provider="rfc2136", name="BIND", credentials=json.dumps(credentials)
    )


def malformed_rfc2136_account(server="192.0.2.53", port="53") -> DnsAccount:
    """A row an old database might hold, written past validation: a TSIG key name with
    an empty label, on which dnspython raises EmptyLabel (no provider maps it)."""
    credentials = {
        "server": server,
        "port": port,
        "key_name": "certlife..key",
        "key_secret": TSIG_SECRET,
        "algorithm": "hmac-sha256",
    }
    return DnsAccount.objects.create(
        provider="rfc2136", name="Old BIND", credentials=json.dumps(credentials)
    )


@pytest.mark.django_db
def test_a_provider_raising_an_unmapped_error_fails_the_test_in_plain_words(
    administrator, caplog, exploding_dns_library
):
    account = rfc2136_account()
    start_connection_test(account, actor=administrator)
    run_connection_test(account.pk)  # what the worker runs

    account.refresh_from_db()
    assert (account.last_test_status, account.last_test_message) == ("failed", EXPLODED)
    result = AuditEvent.objects.get(action="dns_account.test_connection_result")
    assert (result.outcome, result.detail) == ("failure", {"message": EXPLODED})
    assert "dns.name.EmptyLabel" in caplog.text  # the traceback, for whoever reports it
    assert TSIG_SECRET not in caplog.text


@pytest.mark.django_db
def test_an_account_whose_provider_is_gone_fails_the_test_saying_so(administrator):
    account = DnsAccount.objects.create(provider="retired-dns", name="Old", credentials="{}")
    run_connection_test(account.pk)
    account.refresh_from_db()
    assert (account.last_test_status, account.last_test_message) == (
        "failed",
        f"DNS account {account.pk}: no provider 'retired-dns' is installed",
    )


def started_ago(account: DnsAccount, minutes: float) -> None:
    DnsAccount.objects.filter(pk=account.pk).update(
        last_tested_at=timezone.now() - timedelta(minutes=minutes)
    )


@pytest.mark.django_db
def test_a_test_no_worker_finished_shows_failed_then_is_recorded_failed(
    administrator, api_as, client
):
    # The broker of the test process delivers to no worker: nobody will take these.
    lost = malformed_rfc2136_account()
    start_connection_test(lost, actor=administrator)
    started_ago(lost, 3)
    # Tested yesterday, and again just now: the new test has its own start time.
    fresh = DnsAccount.objects.create(
        provider="cloudflare",
        name="CF",
        credentials="{}",
        last_test_status="passed",
        last_tested_at=timezone.now() - timedelta(days=1),
    )
    start_connection_test(fresh, actor=administrator)

    api = api_as(administrator)
    shown = api.get(f"/api/v1/dns-accounts/{lost.pk}/").json()["last_test"]
    assert (shown["status"], shown["message"]) == ("failed", UNFINISHED)
    assert api.get(f"/api/v1/dns-accounts/{fresh.pk}/").json()["last_test"]["status"] == "running"
    client.force_login(administrator)
    cell = client.get(reverse("dns-account-test-status", args=[lost.pk])).content.decode()
    assert "hx-trigger" not in cell  # the page stops polling
    assert f"Failed: {UNFINISHED}" in cell

    fail_unfinished_connection_tests()  # what beat runs every minute
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.last_test_status, lost.last_test_message) == ("failed", UNFINISHED)
    assert fresh.last_test_status == "running"
    [recorded] = AuditEvent.objects.filter(action="dns_account.test_connection_result")
    assert (recorded.target_id, recorded.outcome) == (str(lost.pk), "failure")
    scheduled = [entry["task"] for entry in celery_app.conf.beat_schedule.values()]
    assert "dns_providers.tasks.fail_unfinished_connection_tests" in scheduled
    assert "dns_providers.tasks.fail_unfinished_connection_tests" in celery_app.tasks


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_test_connection_with_an_exploding_provider_through_a_real_worker(
    celery_worker, administrator, api_as
):
    account = malformed_rfc2136_account()
    api = api_as(administrator)
    assert api.post(f"/api/v1/dns-accounts/{account.pk}/test/").status_code == 202
    deadline = time.monotonic() + 30
    last_test = {}
    while time.monotonic() < deadline:
        last_test = api.get(f"/api/v1/dns-accounts/{account.pk}/").json()["last_test"]
        if last_test["status"] != "running":
            break
        time.sleep(0.3)
    # The worker builds the provider from the stored row and refuses its broken key name.
    assert (last_test["status"], last_test["message"]) == ("failed", STORED_BROKEN)
