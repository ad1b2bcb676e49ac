"""Expiry alerts (spec N4): before an active certificate's current version expires, at
each threshold, once per version and threshold.

Thresholds:
- certificates that live 10 days or more: CERTLIFE_EXPIRY_ALERT_DAYS days before
  expiry (default 15; e.g. "15,7,1"), labelled "15d";
- certificates that live under 10 days (the lifetime under which renewal moves to one
  half, docs/features.md N3): when CERTLIFE_EXPIRY_ALERT_LIFETIME_FRACTIONS of the
  lifetime is left (default 0.3: a 6-day certificate alerts 43 hours before expiry,
  after renewal at 3 days left has had a day and more to succeed), labelled "0.3L".

When several thresholds are passed at once (a certificate saved 5 days before expiry),
one alert goes out, for the closest, and the others are recorded as covered by it.

The sweep's selection is one query on the certificate's indexed (status, `expires_at`),
its current version's expiry: rows expiring later than the largest threshold (or
already expired) are never read, and a threshold already alerted for a version is
excluded in the query itself. Short-lived certificates are read from `fraction x 10
days` before expiry, and their exact threshold (a fraction of their own lifetime) is
checked here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from acme_orders.choices import CertificateStatus
from acme_orders.models import Certificate, CertificateVersion
from alerts import messages
from alerts.alerting import raise_alert
from alerts.choices import AlertEvent
from alerts.models import ExpiryAlertSent

SHORT_LIFETIME = timedelta(days=10)


@dataclass(frozen=True)
class Threshold:
    label: str
    days: int | None = None  # before expiry, for certificates living SHORT_LIFETIME or more
    fraction: float | None = None  # of the lifetime left, for shorter ones

    def window(self) -> timedelta:
        """How long before expiry a certificate may have passed this threshold."""
        if self.days is not None:
            return timedelta(days=self.days)
        return SHORT_LIFETIME * (self.fraction or 0)

    def is_passed(self, version: CertificateVersion, now: datetime) -> bool:
        lifetime = version.not_after - version.not_before
        if self.days is not None:
            return lifetime >= SHORT_LIFETIME and version.not_after - now <= self.window()
        return lifetime < SHORT_LIFETIME and version.not_after - now <= lifetime * (
            self.fraction or 0
        )


def thresholds() -> list[Threshold]:
    """Every threshold, the farthest from expiry first in each family."""
    days = [Threshold(f"{int(d)}d", days=int(d)) for d in settings.CERTLIFE_EXPIRY_ALERT_DAYS]
    fractions = [
        Threshold(f"{f:g}L", fraction=f) for f in settings.CERTLIFE_EXPIRY_ALERT_LIFETIME_FRACTIONS
    ]
    return days + fractions


def _already_alerted(threshold: Threshold) -> Exists:
    return Exists(
        ExpiryAlertSent.objects.filter(
            version=OuterRef("current_version"), threshold=threshold.label
        )
    )


def candidates(now: datetime):
    """Active certificates whose current version may have passed a threshold it has
    not been alerted for, with what an alert needs, in one query."""
    lives_long = Q(
        current_version__not_after__gte=F("current_version__not_before") + SHORT_LIFETIME
    )
    due = Q()
    for threshold in thresholds():
        family = lives_long if threshold.days is not None else ~lives_long
        due |= Q(
            family,
            Q(expires_at__lte=now + threshold.window()),
            ~_already_alerted(threshold),
        )
    farthest = max((threshold.window() for threshold in thresholds()), default=timedelta(0))
    return (
        Certificate.objects.filter(
            due,
            status=CertificateStatus.ACTIVE,
            expires_at__gt=now,
            expires_at__lte=now + farthest,
        )
        .select_related("current_version", "current_version__account")
        .order_by("expires_at", "pk")
    )


def send_expiry_alerts(now: datetime | None = None) -> int:
    """The sweep (every minute, alerts.tasks): alert every certificate that has passed
    a threshold not yet alerted for its current version. Returns the alerts raised."""
    now = now or timezone.now()
    raised = 0
    for certificate in candidates(now):
        passed = [t for t in thresholds() if t.is_passed(certificate.current_version, now)]
        if passed and alert_certificate(certificate, passed, now):
            raised += 1
    return raised


@transaction.atomic
def alert_certificate(certificate: Certificate, passed: list[Threshold], now: datetime) -> bool:
    """Record each passed threshold for the version (the unique constraint makes a
    second sweep, even a concurrent one, skip it) and raise one alert for the closest
    newly recorded one. False when every threshold was already recorded."""
    version = certificate.current_version
    assert version is not None  # candidates() selects by it
    recorded = []
    for threshold in passed:
        try:
            with transaction.atomic():
                recorded.append(
                    ExpiryAlertSent.objects.create(version=version, threshold=threshold.label)
                )
        except IntegrityError:
            continue
    if not recorded:
        return False
    subject, message = messages.expiry_words(certificate, now)
    alert = raise_alert(
        AlertEvent.EXPIRY,
        subject=subject,
        message=message,
        url=messages.certificate_url(certificate),
        certificate=certificate,
        certificate_facts=messages.certificate_facts(certificate),
    )
    ExpiryAlertSent.objects.filter(pk__in=[row.pk for row in recorded]).update(alert=alert)
    return True
