"""Queries over the certificate repository shared by the dashboard, the list and the API."""

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
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


def search_certificates(
    queryset: QuerySet, *, status: str = "", expiry: str = "", text: str = ""
) -> QuerySet:
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
