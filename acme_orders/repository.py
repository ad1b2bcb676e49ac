"""Queries over the certificate repository shared by the dashboard, the list and the API."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from acme_orders.choices import CertificateStatus, ExpiryBand, RequestStatus
from acme_orders.models import Certificate, CertificateRequest


def expiry_band_filter(band: str, now=None) -> Q:
    """Active certificates whose current version expires within the band."""
    now = now or timezone.now()
    not_after = "current_version__not_after"
    active = Q(status=CertificateStatus.ACTIVE, current_version__isnull=False)
    limits: dict[str, int] = {
        ExpiryBand.WITHIN_7_DAYS: 7,
        ExpiryBand.WITHIN_15_DAYS: 15,
        ExpiryBand.WITHIN_30_DAYS: 30,
    }
    if band == ExpiryBand.EXPIRED:
        return active & Q(**{f"{not_after}__lte": now})
    if band == ExpiryBand.LATER:
        return active & Q(**{f"{not_after}__gt": now + timedelta(days=30)})
    lower: dict[str, int] = {
        ExpiryBand.WITHIN_7_DAYS: 0,
        ExpiryBand.WITHIN_15_DAYS: 7,
        ExpiryBand.WITHIN_30_DAYS: 15,
    }
    return active & Q(
        **{
            f"{not_after}__gt": now + timedelta(days=lower[band]),
            f"{not_after}__lte": now + timedelta(days=limits[band]),
        }
    )


def certificate_counts() -> dict:
    """Counts by status and by days-to-expiry band, in one query."""
    now = timezone.now()
    aggregates = {"total": Count("id")}
    aggregates.update(
        {status.value: Count("id", filter=Q(status=status)) for status in CertificateStatus}
    )
    aggregates.update(
        {
            f"band_{band.value}": Count("id", filter=expiry_band_filter(band, now))
            for band in ExpiryBand
        }
    )
    counts = Certificate.objects.aggregate(**aggregates)
    return {
        "total": counts["total"],
        "by_status": [
            (status.label, status.value, counts[status.value]) for status in CertificateStatus
        ],
        "by_expiry": [
            (band.label, band.value, counts[f"band_{band.value}"]) for band in ExpiryBand
        ],
    }


# The dashboard's expiry timeline: active certificates expiring in each coming week.
TIMELINE_WEEKS = 12
# "Needs attention" counts a certificate expiring this soon (or already expired).
ATTENTION_EXPIRY_DAYS = 7


@dataclass(frozen=True)
class ExpiryWeek:
    """Active certificates whose current version expires in [start, end)."""

    start: datetime
    end: datetime
    count: int


@dataclass(frozen=True)
class ExpiryTimeline:
    weeks: list[ExpiryWeek]
    expired: int  # active, but the current version has expired
    revoked: int
    later: int  # active, expiring after the last week


def expiry_timeline(now=None, weeks: int = TIMELINE_WEEKS) -> ExpiryTimeline:
    """The dashboard's expiry chart (spec N3 "seeing it"), in one query however many
    certificates there are."""
    now = now or timezone.now()
    not_after = "current_version__not_after"
    active = Q(status=CertificateStatus.ACTIVE, current_version__isnull=False)
    bounds = [now + timedelta(weeks=week) for week in range(weeks + 1)]
    aggregates = {
        f"week_{index}": Count(
            "id",
            filter=active & Q(**{f"{not_after}__gt": start, f"{not_after}__lte": end}),
        )
        for index, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False))
    }
    counts = Certificate.objects.aggregate(
        expired=Count("id", filter=active & Q(**{f"{not_after}__lte": now})),
        revoked=Count("id", filter=Q(status=CertificateStatus.REVOKED)),
        later=Count("id", filter=active & Q(**{f"{not_after}__gt": bounds[-1]})),
        **aggregates,
    )
    return ExpiryTimeline(
        weeks=[
            ExpiryWeek(start=bounds[index], end=bounds[index + 1], count=counts[f"week_{index}"])
            for index in range(weeks)
        ],
        expired=counts["expired"],
        revoked=counts["revoked"],
        later=counts["later"],
    )


def needs_attention_filter(now=None) -> Q:
    """Active certificates someone should look at: automatic renewal failing, an alert
    sent and no renewal since, no automated path for a name, or expiring within
    ATTENTION_EXPIRY_DAYS (or expired)."""
    now = now or timezone.now()
    return Q(status=CertificateStatus.ACTIVE) & (
        Q(renewal_failures__gt=0)
        | ~Q(renewal_blocker="")
        | Q(last_alert_at__isnull=False, last_alert_at__gt=F("current_version__created_at"))
        | Q(current_version__not_after__lte=now + timedelta(days=ATTENTION_EXPIRY_DAYS))
    )


def attention_reasons(certificate: Certificate, now=None) -> list[str]:
    """Why `certificate` is in the "Needs attention" list, read from its own row and its
    current version (no query when the version was selected with it)."""
    now = now or timezone.now()
    reasons = []
    version = certificate.current_version
    if certificate.renewal_failures:
        reasons.append(f"Renewal failing ({certificate.renewal_failures} attempts)")
    if certificate.renewal_blocker:
        reasons.append(f"No automated path: {certificate.renewal_blocker}")
    alerted = certificate.last_alert_at
    if alerted is not None and (version is None or alerted > version.created_at):
        reasons.append("Expiry alert sent, not renewed since")
    if version is not None and version.not_after <= now:
        reasons.append("Expired")
    elif version is not None and version.not_after <= now + timedelta(days=ATTENTION_EXPIRY_DAYS):
        reasons.append(f"Expires within {ATTENTION_EXPIRY_DAYS} days")
    return reasons


def search_certificates(
    queryset: QuerySet,
    *,
    status: str = "",
    expiry: str = "",
    text: str = "",
    attention: bool = False,
) -> QuerySet:
    if attention:
        queryset = queryset.filter(needs_attention_filter())
    if status in CertificateStatus.values:
        queryset = queryset.filter(status=status)
    if expiry in ExpiryBand.values:
        queryset = queryset.filter(expiry_band_filter(expiry))
    if text:
        queryset = queryset.filter(Q(common_name__icontains=text) | Q(domains__icontains=text))
    return queryset


def certificate_keystore_password(certificate: Certificate) -> str:
    """The keystore password of the latest request that saved into this certificate."""
    latest = certificate.requests.exclude(keystore_password="").order_by("-created_at").first()
    return latest.keystore_password if latest else ""


def open_request_counts() -> list[tuple[str, str, int]]:
    """(label, status, count) of requests not yet in the repository, for the dashboard."""
    counts = dict(
        CertificateRequest.objects.exclude(status=RequestStatus.SAVED)
        .values_list("status")
        .annotate(count=Count("id"))
    )
    return [
        (status.label, status.value, counts.get(status.value, 0))
        for status in RequestStatus
        if status != RequestStatus.SAVED
    ]
