"""Alerts at once (spec N4, N7): a failed automatic renewal and a failed deployment,
through the signals acme_orders and agents send, to a real SMTP server and a local HTTP
receiver. A delivery that fails is retried and shown, and never fails the caller."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from acme_orders.models import Certificate
from acme_orders.signals import automatic_renewal_failed
from agents.signals import deployment_failed
from alerts import actions, tasks
from alerts.models import Alert, AlertDelivery
from tests.factories import make_acme_account, make_repository_certificate

pytestmark = pytest.mark.django_db

CAUSE = "The CA refused the order: too many certificates (rateLimited)."


@pytest.fixture
def certificate():
    certificate = make_repository_certificate(["api.example.com", "www.example.com"])
    account = make_acme_account()
    account.email = "owner@example.com"
    account.save(update_fields=["email"])
    certificate.current_version.account = account
    certificate.current_version.save(update_fields=["account"])
    return certificate


def test_a_failed_automatic_renewal_emails_at_once(smtp_inbox, run_with_tasks, certificate):
    run_with_tasks(
        lambda: automatic_renewal_failed.send(Certificate, certificate=certificate, error=CAUSE)
    )
    assert smtp_inbox.envelopes == [["owner@example.com"]]
    (message,) = smtp_inbox.messages
    assert message["Subject"] == "Automatic renewal of api.example.com failed"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "api.example.com, www.example.com" in part
        assert "too many certificates (rateLimited)" in part
        assert f"http://localhost:8000/certificates/{certificate.pk}/" in part
    certificate.refresh_from_db()
    assert certificate.last_alert_at is not None


def test_a_failed_deployment_alerts_naming_the_host(
    smtp_inbox, run_with_tasks, certificate, settings
):
    settings.CERTLIFE_BASE_URL = "https://certlife.example.org"
    deployment = SimpleNamespace(certificate=certificate, host="web1.example.com")
    run_with_tasks(
        lambda: deployment_failed.send(
            SimpleNamespace, deployment=deployment, error="nginx -t failed: unknown directive."
        )
    )
    (message,) = smtp_inbox.messages
    assert message["Subject"] == "Deployment of api.example.com to web1.example.com failed"
    text = message.get_body(("plain",)).get_content()
    assert "nginx -t failed: unknown directive." in text
    assert f"https://certlife.example.org/certificates/{certificate.pk}/" in text


def test_a_receiver_answering_500_is_retried_and_the_caller_never_sees_it(
    webhook_receiver, run_with_tasks, certificate, administrator
):
    actions.create_alert_channel(
        name="Hook",
        kind="webhook",
        target=webhook_receiver.url("/hook/s3cr3t"),
        actor=administrator,
    )
    webhook_receiver.answers = [500]

    def renewal_that_records_its_failure():
        with transaction.atomic():
            automatic_renewal_failed.send(Certificate, certificate=certificate, error=CAUSE)
            # The caller's transaction is still usable after the alert was raised.
            Certificate.objects.filter(pk=certificate.pk).update(renewal_failures=1)
        return "renewal recorded"

    assert run_with_tasks(renewal_that_records_its_failure) == "renewal recorded"
    hook_delivery = AlertDelivery.objects.get(channel__name="Hook")
    assert (hook_delivery.status, hook_delivery.attempts) == ("failed", 1)
    assert hook_delivery.last_error == "The receiver answered HTTP 500 (temporary)."
    assert hook_delivery.next_attempt_at > timezone.now()
    certificate.refresh_from_db()
    assert certificate.renewal_failures == 1

    # Not yet due: the retry sweep leaves it alone.
    run_with_tasks(tasks.retry_alert_deliveries.delay)
    assert len(webhook_receiver.received) == 1
    # Its backoff is over: the sweep sends it again, and it goes through.
    AlertDelivery.objects.filter(pk=hook_delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    run_with_tasks(tasks.retry_alert_deliveries.delay)
    hook_delivery.refresh_from_db()
    assert (hook_delivery.status, hook_delivery.attempts) == ("sent", 2)
    assert hook_delivery.last_error == ""
    assert [r.json()["event"] for r in webhook_receiver.received] == ["renewal_failed"] * 2


def test_an_alert_that_cannot_be_recorded_is_logged_not_raised(monkeypatch, certificate, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database trouble")

    monkeypatch.setattr(Alert.objects, "create", broken)
    with caplog.at_level(logging.ERROR, logger="alerts.alerting"), transaction.atomic():
        automatic_renewal_failed.send(Certificate, certificate=certificate, error=CAUSE)
        assert Certificate.objects.filter(pk=certificate.pk).exists()  # still usable
    assert "alert could not be recorded" in caplog.text


def test_a_permanent_refusal_is_not_retried(webhook_receiver, run_with_tasks, administrator):
    channel = actions.create_alert_channel(
        name="Gone", kind="slack", target=webhook_receiver.url("/gone"), actor=administrator
    )
    webhook_receiver.answers = [404]
    run_with_tasks(lambda: actions.send_test_alert(channel, actor=administrator))
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.next_attempt_at) == ("failed", None)
    assert delivery.last_error == "The receiver answered HTTP 404."
    assert tasks.delivery.due_delivery_ids() == []
