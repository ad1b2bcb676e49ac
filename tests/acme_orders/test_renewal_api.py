"""The renewal block and switch of the certificate API, Retry now, and `manage.py
renewals` (spec N3, N5, N6, S4)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from acme_orders.models import Certificate, CertificateRequest
from certlife.models import AuditEvent
from tests.acme_orders.renewal_helpers import saved_certificate
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db


def test_the_certificate_api_shows_when_and_why_it_renews(
    api_as, auditor, renewal_dns_account, no_network_tasks
):
    certificate = saved_certificate(make_acme_account(), dns_account=renewal_dns_account)
    body = api_as(auditor).get(f"/api/v1/certificates/{certificate.pk}/").json()
    assert body["auto_renew"] is True
    block = body["renewal"]
    assert block["source"] == "lifetime"
    assert block["due_at"] is not None
    assert block["failures"] == 0 and block["last_error"] == ""
    assert "window_start" not in block and "explanation_url" not in block

    start = timezone.now() + timedelta(days=50)
    Certificate.objects.filter(pk=certificate.pk).update(
        renewal_source="ari",
        renewal_window_start=start,
        renewal_window_end=start + timedelta(days=2),
        renewal_explanation_url="https://ca.example.net/why",
        renewal_failures=2,
        renewal_last_error="DNS refused",
    )
    listed = api_as(auditor).get("/api/v1/certificates/").json()["results"][0]
    block = listed["renewal"]
    assert block["source"] == "ari"
    assert block["window_start"] and block["window_end"]
    assert block["explanation_url"] == "https://ca.example.net/why"
    assert (block["failures"], block["last_error"]) == (2, "DNS refused")


def test_patch_switches_automatic_renewal_and_is_audited(
    api_as, operator, auditor, renewal_dns_account, no_network_tasks
):
    certificate = saved_certificate(make_acme_account(), dns_account=renewal_dns_account)
    url = f"/api/v1/certificates/{certificate.pk}/"
    assert api_as(auditor).patch(url, {"auto_renew": False}, format="json").status_code == 403
    answer = api_as(operator).patch(url, {"auto_renew": False}, format="json")
    assert answer.status_code == 200 and answer.json()["auto_renew"] is False
    certificate.refresh_from_db()
    assert certificate.auto_renew is False
    assert AuditEvent.objects.filter(action="certificate.auto_renew").exists()
    bad = api_as(operator).patch(url, {"auto_renew": "perhaps"}, format="json")
    assert bad.status_code == 400 and "auto_renew" in bad.json()


def test_retry_now_makes_the_next_attempt_due_at_once(
    api_as, operator, renewal_dns_account, no_network_tasks
):
    later = timezone.now() + timedelta(minutes=100)
    certificate = saved_certificate(
        make_acme_account(),
        dns_account=renewal_dns_account,
        renewal_failures=3,
        renewal_due_at=later,
        renewal_next_attempt_at=later,
    )
    answer = api_as(operator).post(f"/api/v1/certificates/{certificate.pk}/retry-renewal/")
    assert answer.status_code == 200
    certificate.refresh_from_db()
    assert certificate.renewal_due_at <= timezone.now()


def test_the_renewals_command_lists_due_and_next_and_runs_the_due(
    renewal_dns_account, no_network_tasks
):
    account = make_acme_account()
    now = timezone.now()
    saved_certificate(
        account, dns_account=renewal_dns_account, domains=["due.example.com"],
        renewal_due_at=now - timedelta(minutes=1),
    )  # fmt: skip
    saved_certificate(account, domains=["manual.example.com"])
    listing = io.StringIO()
    call_command("renewals", stdout=listing)
    text = listing.getvalue()
    assert "DUE" in text and "due.example.com" in text
    assert "next" in text and "manual.example.com" in text
    assert "cannot renew unattended: No automated path for manual.example.com" in text

    ran = io.StringIO()
    call_command("renewals", "--run", stdout=ran)
    assert "Renewal started: due.example.com" in ran.getvalue()
    assert CertificateRequest.objects.filter(automatic=True).count() == 1
    again = io.StringIO()
    call_command("renewals", "--run", stdout=again)
    assert "Nothing is due." in again.getvalue()
