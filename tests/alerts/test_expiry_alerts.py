"""Expiry alerts (spec N4) through a real SMTP server: once per version and threshold,
to the account owner, the extra recipients and every email channel; short-lived
certificates by a fraction of their lifetime; the sweep's cost does not grow with the
certificates that are not near expiry."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from acme_orders.models import Certificate, CertificateRequest, CertificateVersion
from alerts import actions, expiry
from alerts.models import AlertDelivery, ExpiryAlertSent
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db

OWNER = "ops@example.com"  # make_acme_account's address


def make_certificate(name: str, *, left: timedelta, lifetime=timedelta(days=90), account=None):
    """An active certificate whose current version expires `left` from now."""
    now = timezone.now()
    certificate = Certificate.objects.create(common_name=name, domains=[name, f"www.{name}"])
    version = CertificateVersion.objects.create(
        certificate=certificate,
        serial_number="0a1b",
        issuer="Test Issuer R1",
        key_type="EC P-256",
        not_before=now + left - lifetime,
        not_after=now + left,
        certificate_pem="(not read by alerts)",
        private_key_pem="",
        created_by_name="test",
        account=account or make_acme_account(name=name, directory=f"ca.{name}"),
    )
    certificate.current_version = version
    certificate.save(update_fields=["current_version"])
    return certificate


def sweep(run_with_tasks, now=None) -> int:
    return run_with_tasks(lambda: expiry.send_expiry_alerts(now))


def test_one_email_per_certificate_and_threshold_across_repeated_sweeps(
    smtp_inbox, run_with_tasks, settings
):
    settings.CERTLIFE_EXPIRY_ALERT_DAYS = (15, 7, 1)
    certificate = make_certificate("shop.example.com", left=timedelta(days=10))
    make_certificate("later.example.com", left=timedelta(days=40))
    now = timezone.now()

    assert sweep(run_with_tasks) == 1
    assert sweep(run_with_tasks) == 0
    assert smtp_inbox.subjects() == ["Certificate shop.example.com expires in 9 days"]
    assert smtp_inbox.envelopes == [[OWNER]]

    # Four days on: the 7-day threshold, once; again nothing for the 15-day one.
    for _ in range(3):
        sweep(run_with_tasks, now + timedelta(days=4))
    assert len(smtp_inbox.messages) == 2
    assert "expires in 5 days" in smtp_inbox.subjects()[1]
    labels = ExpiryAlertSent.objects.filter(version=certificate.current_version)
    assert sorted(labels.values_list("threshold", flat=True)) == ["15d", "7d"]
    certificate.refresh_from_db()
    assert certificate.last_alert_at is not None

    message = smtp_inbox.messages[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "shop.example.com, www.shop.example.com" in part
        assert f"http://localhost:8000/certificates/{certificate.pk}/" in part
    assert "has not been renewed yet" in text and "<h1" in html


def test_thresholds_passed_together_send_one_alert_for_the_closest(
    smtp_inbox, run_with_tasks, settings
):
    settings.CERTLIFE_EXPIRY_ALERT_DAYS = (15, 7, 1)
    make_certificate("late.example.com", left=timedelta(days=3))
    assert sweep(run_with_tasks) == 1
    assert sweep(run_with_tasks) == 0
    assert len(smtp_inbox.messages) == 1
    assert set(ExpiryAlertSent.objects.values_list("threshold", flat=True)) == {"15d", "7d"}


def test_a_new_version_starts_afresh(smtp_inbox, run_with_tasks):
    certificate = make_certificate("renewed.example.com", left=timedelta(days=12))
    assert sweep(run_with_tasks) == 1
    # Renewed: the new version is 90 days from expiry, so nothing until its own 15 days.
    renewed = CertificateVersion.objects.create(
        certificate=certificate,
        serial_number="0c0d",
        issuer="Test Issuer R1",
        key_type="EC P-256",
        not_before=timezone.now(),
        not_after=timezone.now() + timedelta(days=90),
        certificate_pem="(new)",
        private_key_pem="",
        created_by_name="scheduler",
        account=certificate.current_version.account,
    )
    Certificate.objects.filter(pk=certificate.pk).update(
        current_version=renewed, expires_at=renewed.not_after
    )
    assert sweep(run_with_tasks) == 0
    assert sweep(run_with_tasks, timezone.now() + timedelta(days=76)) == 1
    assert len(smtp_inbox.messages) == 2


def test_recipients_are_the_owner_the_extra_ones_and_every_enabled_email_channel(
    smtp_inbox, run_with_tasks, settings, administrator
):
    settings.CERTLIFE_ALERT_RECIPIENTS = ["night-shift@example.com", "OPS@example.com"]
    actions.create_alert_channel(
        name="Team", kind="email", target="team@example.com; boss@example.com", actor=administrator
    )
    actions.create_alert_channel(
        name="Off", kind="email", target="off@example.com", enabled=False, actor=administrator
    )
    make_certificate("mail.example.com", left=timedelta(days=5))
    sweep(run_with_tasks)
    assert sorted(smtp_inbox.envelopes) == [
        ["ops@example.com", "night-shift@example.com"],
        ["team@example.com", "boss@example.com"],
    ]
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_without_an_account_on_the_version_the_latest_request_account_is_the_owner(
    smtp_inbox, run_with_tasks
):
    certificate = make_certificate("old.example.com", left=timedelta(days=5))
    CertificateVersion.objects.filter(certificate=certificate).update(account=None)
    account = make_acme_account(name="Requested with", directory="other-ca.example.net")
    account.email = "requester@example.com"
    account.save(update_fields=["email"])
    CertificateRequest.objects.create(
        account=account,
        domains=["old.example.com"],
        challenge_type="http-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        certificate=certificate,
        status="saved",
    )
    sweep(run_with_tasks)
    assert smtp_inbox.envelopes == [["requester@example.com"]]


def test_revoked_and_expired_certificates_are_not_alerted(smtp_inbox, run_with_tasks):
    revoked = make_certificate("revoked.example.com", left=timedelta(days=5))
    Certificate.objects.filter(pk=revoked.pk).update(status="revoked")
    make_certificate("expired.example.com", left=-timedelta(hours=1))
    assert sweep(run_with_tasks) == 0
    assert smtp_inbox.messages == []


def test_short_lived_certificates_alert_at_a_fraction_of_their_lifetime(
    smtp_inbox, run_with_tasks, settings
):
    settings.CERTLIFE_EXPIRY_ALERT_LIFETIME_FRACTIONS = (0.3,)
    six_days = timedelta(days=6)
    make_certificate("six-days.example.com", left=timedelta(days=2), lifetime=six_days)
    make_certificate(
        "minutes.example.com", left=timedelta(minutes=2), lifetime=timedelta(minutes=10)
    )
    assert sweep(run_with_tasks) == 1  # 2 of 10 minutes left; 2 of 6 days is not yet 30 %
    assert smtp_inbox.subjects() == ["Certificate minutes.example.com expires in 1 minute"]
    assert sweep(run_with_tasks, timezone.now() + timedelta(hours=6)) == 1  # 1.75 days left
    assert sweep(run_with_tasks, timezone.now() + timedelta(hours=7)) == 0
    assert len(smtp_inbox.messages) == 2
    # A 15-day threshold never applies to a certificate that lives 6 days.
    assert set(ExpiryAlertSent.objects.values_list("threshold", flat=True)) == {"0.3L"}


def bulk_certificates(count: int, *, left: timedelta) -> None:
    """`count` certificates with a version each, in a handful of queries."""
    now = timezone.now()
    certificates = Certificate.objects.bulk_create(
        Certificate(common_name=f"bulk{i}.example.com", domains=[f"bulk{i}.example.com"])
        for i in range(count)
    )
    CertificateVersion.objects.bulk_create(
        (
            CertificateVersion(
                certificate=certificate,
                serial_number=f"{i:x}",
                issuer="Test Issuer R1",
                key_type="EC P-256",
                not_before=now + left - timedelta(days=90),
                not_after=now + left,
                certificate_pem="-",
                private_key_pem="",
                created_by_name="test",
            )
            for i, certificate in enumerate(certificates)
        ),
        batch_size=2000,
    )
    latest = CertificateVersion.objects.filter(certificate=OuterRef("pk"))
    Certificate.objects.filter(current_version__isnull=True).update(
        current_version=Subquery(latest.values("pk")[:1]),
        expires_at=Subquery(latest.values("not_after")[:1]),
    )


def sweep_cost(monkeypatch) -> tuple[int, int]:
    """(queries, certificates read) of one sweep."""
    loaded = []
    real_from_db = Certificate.from_db.__func__  # type: ignore[attr-defined]

    def counting_from_db(cls, *args, **kwargs):
        loaded.append(1)
        return real_from_db(cls, *args, **kwargs)

    monkeypatch.setattr(Certificate, "from_db", classmethod(counting_from_db))
    with CaptureQueriesContext(connection) as queries:
        assert expiry.send_expiry_alerts() == 0
    monkeypatch.undo()
    return len(queries), len(loaded)


def test_the_sweep_costs_the_same_for_10_and_10000_certificates_not_near_expiry(
    monkeypatch, settings
):
    settings.CERTLIFE_EXPIRY_ALERT_DAYS = (15, 7, 1)
    # In the 15-day window but already alerted for it: excluded by the query too.
    for name in ("a", "b"):
        make_certificate(f"{name}.example.com", left=timedelta(days=10))
    assert expiry.send_expiry_alerts() == 2

    bulk_certificates(10, left=timedelta(days=60))
    small = sweep_cost(monkeypatch)
    bulk_certificates(9_990, left=timedelta(days=60))
    assert Certificate.objects.count() == 10_002
    large = sweep_cost(monkeypatch)
    assert small == large
    assert large[1] == 0, "the sweep read certificates that are not due"
