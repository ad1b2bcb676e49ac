"""Queries over the certificate repository shared by the dashboard, the list and the API."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from acme_orders.choices import CertificateStatus, ExpiryBand, RequestStatus
from acme_orders.models import Certificate, CertificateRequest


def expiry_band_filter(band: str, now=None) -> Q:
    """Active certificates whose current version expires within the band (a range on
    the indexed (status, expires_at))."""
    now = now or timezone.now()
    active = Q(status=CertificateStatus.ACTIVE, expires_at__isnull=False)
    if band == ExpiryBand.EXPIRED:
        return active & Q(expires_at__lte=now)
    if band == ExpiryBand.LATER:
        return active & Q(expires_at__gt=now + timedelta(days=NEAR_DAYS))
    lower, upper = {name.value: (low, high) for name, low, high in BAND_LIMITS}[band]
    return active & Q(
        expires_at__gt=now + timedelta(days=lower), expires_at__lte=now + timedelta(days=upper)
    )


# The bands between "expired" and "later": (band, from days, to days).
BAND_LIMITS = [
    (ExpiryBand.WITHIN_7_DAYS, 0, 7),
    (ExpiryBand.WITHIN_15_DAYS, 7, 15),
    (ExpiryBand.WITHIN_30_DAYS, 15, 30),
]
NEAR_DAYS = 30  # "later" is after this


@dataclass(frozen=True)
class StatusTotals:
    by_status: dict[str, int]
    undated_active: int  # active, without a current version

    def active_dated(self) -> int:
        return self.by_status.get(CertificateStatus.ACTIVE, 0) - self.undated_active


def status_totals() -> StatusTotals:
    """Certificates by status, in one grouped count answered from the small index on
    status alone (an index-only scan, still one index entry read per certificate),
    and the active ones without a version (an index lookup)."""
    rows = Certificate.objects.order_by().values_list("status").annotate(count=Count("*"))
    undated = Certificate.objects.filter(
        status=CertificateStatus.ACTIVE, expires_at__isnull=True
    ).count()
    return StatusTotals(by_status=dict(rows), undated_active=undated)


def _active_counts(end: datetime, ranges: dict[str, tuple[datetime | None, datetime]]):
    """Counts of active certificates expiring in each (start, end] of `ranges`, reading
    only the (status, expires_at) index up to `end` (an index-only scan): certificates
    expiring later are counted by subtraction from the total."""
    counts = {name: Q(expires_at__lte=upper) for name, (_, upper) in ranges.items()}
    for name, (lower, _) in ranges.items():
        if lower is not None:
            counts[name] &= Q(expires_at__gt=lower)
    return (
        Certificate.objects.filter(status=CertificateStatus.ACTIVE, expires_at__lte=end)
        .order_by()
        .aggregate(**{name: Count("id", filter=condition) for name, condition in counts.items()})
    )


def certificate_counts(totals: StatusTotals | None = None, now=None) -> dict:
    """Counts by status and by days-to-expiry band, in two queries that read the index
    for the statuses and the index range of the next 30 days (flat at 100,000)."""
    now = now or timezone.now()
    totals = totals or status_totals()
    ranges: dict[str, tuple[datetime | None, datetime]] = {
        f"band_{ExpiryBand.EXPIRED.value}": (None, now)
    }
    ranges.update(
        {
            f"band_{band.value}": (now + timedelta(days=low), now + timedelta(days=high))
            for band, low, high in BAND_LIMITS
        }
    )
    near = _active_counts(now + timedelta(days=NEAR_DAYS), ranges)
    later = totals.active_dated() - sum(near.values())
    by_band = {**near, f"band_{ExpiryBand.LATER.value}": later}
    return {
        "total": sum(totals.by_status.values()),
        "by_status": [
            (status.label, status.value, totals.by_status.get(status.value, 0))
            for status in CertificateStatus
        ],
        "by_expiry": [
            (band.label, band.value, by_band[f"band_{band.value}"]) for band in ExpiryBand
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


def expiry_timeline(
    now=None, weeks: int = TIMELINE_WEEKS, totals: StatusTotals | None = None
) -> ExpiryTimeline:
    """The dashboard's expiry chart (spec N3 "seeing it"): the statuses' totals and one
    query over the index range of the coming weeks, however many certificates expire
    later."""
    now = now or timezone.now()
    totals = totals or status_totals()
    bounds = [now + timedelta(weeks=week) for week in range(weeks + 1)]
    ranges: dict[str, tuple[datetime | None, datetime]] = {"expired": (None, now)}
    ranges.update(
        {
            f"week_{index}": (start, end)
            for index, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False))
        }
    )
    counts = _active_counts(bounds[-1], ranges)
    later = totals.active_dated() - sum(counts.values())
    return ExpiryTimeline(
        weeks=[
            ExpiryWeek(start=bounds[index], end=bounds[index + 1], count=counts[f"week_{index}"])
            for index in range(weeks)
        ],
        expired=counts["expired"],
        revoked=totals.by_status.get(CertificateStatus.REVOKED, 0),
        later=later,
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
        | Q(expires_at__lte=now + timedelta(days=ATTENTION_EXPIRY_DAYS))
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
        # Soonest first: the (status, expires_at, id) index gives the page in order.
        queryset = queryset.filter(expiry_band_filter(expiry)).order_by("expires_at", "id")
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
