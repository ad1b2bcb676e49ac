"""What an alert says: the certificate's facts, the link back to certlife, and the words
of each kind of alert. Plain words; nothing here is ever a secret."""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from acme_orders.models import Certificate

DEFAULT_BASE_URL = "http://localhost:8000"


def absolute_url(path: str) -> str:
    return f"{settings.CERTLIFE_BASE_URL or DEFAULT_BASE_URL}{path}"


def certificate_url(certificate: Certificate) -> str:
    """The certificate's page, where it is renewed, retried or fixed."""
    return absolute_url(reverse("certificate-detail", args=[certificate.pk]))


def time_left(not_after: datetime, now: datetime | None = None) -> timedelta:
    return not_after - (now or timezone.now())


def describe_time_left(left: timedelta) -> str:
    """'in 7 days', 'in 5 hours', 'in 12 minutes', or 'already'."""
    seconds = left.total_seconds()
    if seconds <= 0:
        return "already"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"in {count} {unit}{'s' if count != 1 else ''}"
    return "in less than a minute"


def certificate_facts(certificate: Certificate) -> dict:
    """The webhook JSON's `certificate` object."""
    version = certificate.current_version
    not_after = version.not_after if version else None
    return {
        "id": certificate.pk,
        "common_name": certificate.common_name,
        "domains": list(certificate.domains),
        "not_after": not_after.isoformat() if not_after else None,
        "days_left": time_left(not_after).days if not_after else None,
    }


def _names(certificate: Certificate) -> str:
    return ", ".join(certificate.domains) or certificate.common_name


def _renewal_state(certificate: Certificate) -> str:
    if certificate.renewal_blocker:
        return f"It cannot renew by itself: {certificate.renewal_blocker}"
    if certificate.renewal_last_error:
        return f"The last automatic renewal attempt failed: {certificate.renewal_last_error}"
    if not certificate.auto_renew:
        return "Automatic renewal is switched off for it."
    return "It has not been renewed yet."


def expiry_words(certificate: Certificate, now: datetime) -> tuple[str, str]:
    """(subject, message) of an expiry alert."""
    not_after = certificate.current_version.not_after  # type: ignore[union-attr]
    when = describe_time_left(time_left(not_after, now))
    stamp = not_after.strftime("%Y-%m-%d %H:%M UTC")
    subject = f"Certificate {certificate.common_name} expires {when}"
    message = (
        f"The certificate for {_names(certificate)} expires {when}, on {stamp}. "
        f"{_renewal_state(certificate)} Renew it in certlife before it expires."
    )
    return subject, message


def renewal_failure_words(certificate: Certificate, error: str) -> tuple[str, str]:
    subject = f"Automatic renewal of {certificate.common_name} failed"
    message = (
        f"certlife could not renew the certificate for {_names(certificate)}: {error} "
        "Fix the cause and renew it in certlife; automatic attempts continue meanwhile."
    )
    return subject, message


def deployment_failure_words(certificate: Certificate, host: str, error: str) -> tuple[str, str]:
    subject = f"Deployment of {certificate.common_name} to {host} failed"
    message = (
        f"certlife could not deploy the certificate for {_names(certificate)} to {host}: "
        f"{error} The server keeps its previous certificate until this is fixed."
    )
    return subject, message


TEST_SUBJECT = "certlife test alert"
TEST_MESSAGE = (
    "This is a test alert from certlife. If you read it, this channel receives alerts "
    "about expiring certificates and failed renewals."
)
