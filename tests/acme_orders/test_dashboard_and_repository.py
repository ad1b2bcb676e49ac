import pytest

from tests.factories import make_acme_account, make_repository_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def repository():
    return {
        "expired": make_repository_certificate(["old.example.com"], days_left=-2),
        "soon": make_repository_certificate(
            ["soon.example.com", "www.soon.example.com"], days_left=5
        ),
        "fortnight": make_repository_certificate(["mid.example.com"], days_left=12),
        "month": make_repository_certificate(["month.example.org"], days_left=25),
        "later": make_repository_certificate(["later.example.org"], days_left=80),
        "revoked": make_repository_certificate(
            ["gone.example.com"], days_left=50, status="revoked"
        ),
    }


def test_dashboard_counts_by_status_and_days_to_expiry(client, operator, repository):
    client.force_login(operator)
    counts = client.get("/").context["counts"]
    assert counts["total"] == 6
    assert {value: count for _, value, count in counts["by_status"]} == {"active": 5, "revoked": 1}
    assert {value: count for _, value, count in counts["by_expiry"]} == {
        "expired": 1,
        "7": 1,
        "15": 1,
        "30": 1,
        "later": 1,
    }


def test_dashboard_warns_when_background_work_is_not_running(client, operator):
    from django.utils import timezone

    from certlife.tasks import record_heartbeat

    client.force_login(operator)
    assert "Background work is not running" in client.get("/").content.decode()
    record_heartbeat("scheduler")
    assert "Background work is not running" not in client.get("/").content.decode()
    from certlife.models import ServiceHeartbeat

    ServiceHeartbeat.objects.update(last_seen=timezone.now() - timezone.timedelta(minutes=10))
    assert "last seen 10" in client.get("/").content.decode()


def test_repository_list_shows_details_and_filters(client, auditor, repository):
    client.force_login(auditor)
    page = client.get("/certificates/").content.decode()
    soon = repository["soon"].current_version
    for expected in ("soon.example.com", "www.soon.example.com", soon.serial_number, "EC P-256"):
        assert expected in page
    assert "Test Issuer R1" in page

    def names(**params):
        return {c.common_name for c in client.get("/certificates/", params).context["object_list"]}

    assert names(status="revoked") == {"gone.example.com"}
    assert names(expiry="7") == {"soon.example.com"}
    assert names(name="www.soon") == {"soon.example.com"}
    assert names(name="example.org") == {"month.example.org", "later.example.org"}
    assert len(names(status="bogus")) == 6  # an unknown filter value narrows nothing


def test_dashboard_counts_open_requests_and_the_pending_list_filters(client, operator):
    from acme_orders.models import CertificateRequest

    account = make_acme_account(name="CA")
    for name, status in [("a.example.com", "failed"), ("b.example.com", "pending"),
                         ("c.example.com", "failed"), ("d.example.com", "saved")]:  # fmt: skip
        CertificateRequest.objects.create(
            account=account, domains=[name], challenge_type="http-01", key_algorithm="EC",
            key_size=256, signature_algorithm="SHA256withECDSA", keystore_type="PEM",
            status=status, error="boom" if status == "failed" else "",
        )  # fmt: skip
    client.force_login(operator)
    counts = {value: count for _, value, count in client.get("/").context["request_counts"]}
    assert counts == {"pending": 1, "validating": 0, "issuing": 0, "available": 0, "failed": 2}
    listed = client.get("/acme/letsencrypt/pending/", {"status": "failed"}).context["object_list"]
    assert sorted(r.common_name for r in listed) == ["a.example.com", "c.example.com"]
    everything = client.get("/acme/letsencrypt/pending/").context["object_list"]
    assert "d.example.com" not in [r.common_name for r in everything]


def test_a_certificate_keeps_its_current_versions_expiry(repository):
    from acme_orders.models import Certificate, CertificateVersion

    certificate = repository["soon"]
    assert certificate.expires_at == certificate.current_version.not_after
    later = repository["later"].current_version
    renewed = CertificateVersion.objects.get(pk=later.pk)
    renewed.pk, renewed.certificate = None, certificate
    renewed.save()
    certificate.current_version = renewed
    certificate.save(update_fields=["current_version"])  # expires_at goes with it
    assert Certificate.objects.get(pk=certificate.pk).expires_at == later.not_after
    certificate.current_version = None
    certificate.save()
    assert Certificate.objects.get(pk=certificate.pk).expires_at is None


def test_the_later_band_and_the_chart_do_not_count_certificates_without_a_version(
    client, operator, repository
):
    from acme_orders.models import Certificate

    Certificate.objects.create(common_name="new.example.com", domains=["new.example.com"])
    client.force_login(operator)
    context = client.get("/").context
    by_expiry = {value: count for _, value, count in context["counts"]["by_expiry"]}
    assert by_expiry["later"] == 1 and by_expiry["expired"] == 1
    timeline = context["chart"]["timeline"]
    assert timeline.expired == 1 and timeline.revoked == 1
    assert sum(week.count for week in timeline.weeks) + timeline.later == 4
    assert timeline.later == 0  # 80 days is within the 12 weeks
