"""The certificate page, its history and downloads, the revoke and delete confirmations,
the Renewed status bar, and the dashboard's expiry timeline and needs-attention list
(docs/features.md P4, N1, N2, X1, X2). No CA is involved: revocation at Pebble is in
test_revocation_e2e.py."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from acme_orders.models import Certificate, CertificateRequest, CertificateVersion
from certlife.models import AuditEvent
from tests.factories import (
    make_acme_account,
    make_certificate_pem,
    make_issued_request,
    make_key_pem,
    make_repository_certificate,
)

pytestmark = pytest.mark.django_db


def add_version(certificate: Certificate, *, key_pem: str = "", days_left: float = 80):
    """A newer version of `certificate`, made current."""
    key_pem = key_pem or make_key_pem()
    version = CertificateVersion.from_pem(
        certificate=certificate,
        certificate_pem=make_certificate_pem(certificate.domains, key_pem, days_left=days_left),
        chain_pem="",
        private_key_pem=key_pem,
        created_by=None,
        created_by_name="scheduler",
    )
    version.save()
    certificate.current_version = version
    certificate.save(update_fields=["current_version"])
    return version


def test_the_key_fingerprint_is_the_key_s_and_the_same_for_every_certificate_of_it():
    key_pem = make_key_pem()
    certificate = make_repository_certificate(["fp.example.com"], key_pem=key_pem)
    first = certificate.current_version
    same_key = add_version(certificate, key_pem=key_pem)
    new_key = add_version(certificate)
    assert first.key_fingerprint.startswith("SHA256:") and len(first.key_fingerprint) == 50
    assert same_key.key_fingerprint == first.key_fingerprint
    assert new_key.key_fingerprint != first.key_fingerprint


def test_the_page_says_when_it_renews_and_why(client, administrator):
    certificate = make_repository_certificate(["ari.example.com"])
    now = timezone.now()
    Certificate.objects.filter(pk=certificate.pk).update(
        renewal_due_at=now + timedelta(days=20),
        renewal_source="ari",
        renewal_window_start=now + timedelta(days=19),
        renewal_window_end=now + timedelta(days=21),
        renewal_explanation_url="https://ca.example.net/why",
        renewal_last_attempt_at=now - timedelta(hours=1),
        renewal_next_attempt_at=now + timedelta(minutes=10),
        renewal_failures=2,
        renewal_last_error="The CA at ca.example.net is rate limiting (HTTP 429).",
        renewal_blocker="www.ari.example.com has no agent mapping or DNS account.",
    )
    client.force_login(administrator)
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert "inside the CA's renewal window (ARI)" in page
    assert '<a href="https://ca.example.net/why"' in page
    assert "is rate limiting (HTTP 429)" in page
    assert 'id="renewal-failures">2<' in page
    assert "Cannot renew with nobody acting: www.ari.example.com has no agent" in page
    assert certificate.current_version.key_fingerprint in page
    for button in ("Renew certificate", "Retry now", "Turn off", "Revoke", "Delete", "History"):
        assert button in page

    # An explanation URL that is not https is shown as text, never as a link.
    Certificate.objects.filter(pk=certificate.pk).update(
        renewal_explanation_url="http://ca.example.net/why"
    )
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert 'href="http://ca.example.net/why"' not in page
    assert "(not an https link)" in page

    Certificate.objects.filter(pk=certificate.pk).update(renewal_source="lifetime")
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert "two thirds of its lifetime" in page


def test_an_auditor_sees_the_page_without_buttons(client, auditor):
    certificate = make_repository_certificate(["read.example.com"])
    client.force_login(auditor)
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert "read.example.com" in page
    for button in ("Renew certificate", "Retry now", "Turn off", ">Revoke<", ">Delete<"):
        assert button not in page


def test_retry_now_and_the_auto_renew_switch(client, administrator):
    certificate = make_repository_certificate(["switch.example.com"])
    Certificate.objects.filter(pk=certificate.pk).update(
        renewal_next_attempt_at=timezone.now() + timedelta(days=1), renewal_failures=4
    )
    client.force_login(administrator)
    client.post(f"/certificates/{certificate.pk}/retry-renewal/")
    certificate.refresh_from_db()
    assert certificate.renewal_next_attempt_at <= timezone.now()

    client.post(f"/certificates/{certificate.pk}/auto-renew/", {})
    certificate.refresh_from_db()
    assert certificate.auto_renew is False
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert "Automatic renewal is off" in page
    client.post(f"/certificates/{certificate.pk}/auto-renew/", {"enabled": "on"})
    certificate.refresh_from_db()
    assert certificate.auto_renew is True
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("certificate.auto_renew") == 2
    assert "certificate.retry_renewal" in actions


def test_the_revoke_confirmation_warns_and_needs_a_reason(client, administrator):
    certificate = make_repository_certificate(["revoke.example.com"])
    client.force_login(administrator)
    page = client.get(f"/certificates/{certificate.pk}/revoke/").content.decode()
    assert "loses HTTPS at once" in page
    assert "Key compromise" in page and "Cessation of operation" in page
    refused = client.post(f"/certificates/{certificate.pk}/revoke/", {"reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == "active"


def test_the_delete_confirmation_says_it_stays_valid(client, administrator):
    certificate = make_repository_certificate(["delete.example.com"])
    client.force_login(administrator)
    page = client.get(f"/certificates/{certificate.pk}/delete/").content.decode()
    assert "remains valid at the CA" in page
    answer = client.post(f"/certificates/{certificate.pk}/delete/", follow=True)
    assert "stays valid at the CA" in answer.content.decode()
    assert not Certificate.objects.filter(pk=certificate.pk).exists()


def test_the_history_lists_every_version_and_any_can_be_downloaded(client, operator):
    certificate = make_repository_certificate(["history.example.com"])
    first = certificate.current_version
    second = add_version(certificate)
    client.force_login(operator)
    page = client.get(f"/certificates/{certificate.pk}/history/").content.decode()
    for version in (first, second):
        assert version.serial_number in page
        assert version.key_fingerprint in page
    assert "scheduler" in page and "test" in page
    assert page.index(second.serial_number) < page.index(first.serial_number)  # newest first

    old = client.post(
        f"/certificates/{certificate.pk}/export/", {"format": "pem", "version": first.pk}
    )
    assert old.status_code == 200
    assert old.content.decode() == first.certificate_pem
    current = client.post(f"/certificates/{certificate.pk}/export/", {"format": "pem"})
    assert current.content.decode() == second.certificate_pem
    # The key only with its own permission, which operators do not hold.
    with_key = client.post(
        f"/certificates/{certificate.pk}/export/",
        {"format": "pem", "version": first.pk, "include_key": "on"},
    )
    assert with_key.status_code == 403
    # A version of another certificate is not found through this one.
    other = make_repository_certificate(["other.example.com"])
    foreign = client.post(
        f"/certificates/{certificate.pk}/export/",
        {"format": "pem", "version": other.current_version.pk},
    )
    assert foreign.status_code == 404


def test_the_api_lists_versions_with_fingerprints_and_exports_any(api_as, administrator):
    certificate = make_repository_certificate(["api-history.example.com"])
    first = certificate.current_version
    second = add_version(certificate)
    api = api_as(administrator)
    versions = api.get(f"/api/v1/certificates/{certificate.pk}/versions/").json()
    assert [v["id"] for v in versions] == [second.pk, first.pk]
    assert versions[1]["key_fingerprint"] == first.key_fingerprint
    assert versions[0]["created_by_name"] == "scheduler"
    old = api.get(
        f"/api/v1/certificates/{certificate.pk}/export/",
        {"format": "pem", "include_key": "true", "version": first.pk},
    )
    assert old.status_code == 200
    assert first.private_key_pem in old.content.decode()
    assert first.certificate_pem in old.content.decode()
    other = make_repository_certificate(["other.example.com"])
    missing = api.get(
        f"/api/v1/certificates/{certificate.pk}/export/",
        {"version": other.current_version.pk},
    )
    assert missing.status_code == 404
    bad = api.get(f"/api/v1/certificates/{certificate.pk}/export/", {"version": "x"})
    assert bad.status_code == 400 and "version" in bad.json()
    detail = api.get(f"/api/v1/certificates/{certificate.pk}/").json()
    assert (detail["status"], detail["revoked_at"], detail["revocation_reason"]) == (
        "active", None, "",
    )  # fmt: skip


def test_a_bad_revocation_reason_is_a_400_naming_reason(api_as, administrator):
    certificate = make_repository_certificate(["reason.example.com"])
    answer = api_as(administrator).post(
        f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "because"}, format="json"
    )
    assert answer.status_code == 400
    assert list(answer.json()) == ["reason"]


def test_a_renewal_reads_renewed_and_clicking_it_saves_the_new_version(client, operator):
    account = make_acme_account()
    certificate = make_repository_certificate(["renewed.example.com"])
    renewal = make_issued_request(account, domains=["renewed.example.com"])
    CertificateRequest.objects.filter(pk=renewal.pk).update(certificate=certificate)
    plain = make_issued_request(account, domains=["plain.example.com"])
    client.force_login(operator)

    page = client.get(f"/acme/letsencrypt/requests/{renewal.pk}/").content.decode()
    assert ">Renewed</button>" in page
    assert ">Renewed<" not in client.get(f"/acme/letsencrypt/requests/{plain.pk}/").content.decode()
    assert ">Renewed<" in client.get("/acme/letsencrypt/pending/").content.decode()
    client.post(f"/acme/letsencrypt/requests/{renewal.pk}/save/")
    certificate.refresh_from_db()
    assert certificate.versions.count() == 2
    assert certificate.current_version.serial_number != ""
    assert CertificateRequest.objects.get(pk=renewal.pk).status == "saved"


def test_a_revoked_certificate_is_not_renewed_nor_its_renewal_saved(operator):
    from django.core.exceptions import ValidationError

    from acme_orders import actions

    account = make_acme_account()
    certificate = make_repository_certificate(["gone.example.com"], status="revoked")
    renewal = make_issued_request(account, domains=["gone.example.com"])
    CertificateRequest.objects.filter(pk=renewal.pk).update(certificate=certificate)
    renewal.refresh_from_db()
    with pytest.raises(ValidationError, match="revoked"):
        actions.renew_certificate(certificate, actor=operator)
    with pytest.raises(ValidationError, match="revoked"):
        actions.save_to_repository(renewal, actor=operator)
    assert Certificate.objects.get(pk=certificate.pk).status == "revoked"


def test_the_dashboard_timeline_counts_each_week_and_keeps_expired_and_revoked_apart(
    client, operator
):
    for days_left in (2, 3, 10, 80):
        make_repository_certificate([f"in{days_left}.example.com"], days_left=days_left)
    make_repository_certificate(["expired.example.com"], days_left=-1)
    make_repository_certificate(["revoked.example.com"], days_left=5, status="revoked")
    client.force_login(operator)
    response = client.get("/")
    chart = response.context["chart"]
    counts = [bar["week"].count for bar in chart["bars"]]
    assert len(counts) == 12
    assert counts[0] == 2 and counts[1] == 1 and counts[11] == 1 and sum(counts) == 4
    timeline = chart["timeline"]
    assert (timeline.expired, timeline.revoked, timeline.later) == (1, 1, 0)
    page = response.content.decode()
    assert page.count('<rect class="week"') == 12
    assert 'data-week="1" data-count="2"' in page
    assert "Expired: 1" in page and "Revoked: 1" in page
    assert "cdn" not in page.lower() and "<script" not in page.split("</head>")[1]


def test_the_needs_attention_list_says_why(client, operator):
    now = timezone.now()
    failing = make_repository_certificate(["failing.example.com"], days_left=40)
    Certificate.objects.filter(pk=failing.pk).update(renewal_failures=3)
    blocked = make_repository_certificate(["blocked.example.com"], days_left=40)
    Certificate.objects.filter(pk=blocked.pk).update(renewal_blocker="no automated path")
    alerted = make_repository_certificate(["alerted.example.com"], days_left=40)
    Certificate.objects.filter(pk=alerted.pk).update(last_alert_at=timezone.now())
    renewed_since = make_repository_certificate(["renewed.example.com"], days_left=40)
    Certificate.objects.filter(pk=renewed_since.pk).update(last_alert_at=now - timedelta(days=1))
    make_repository_certificate(["soon.example.com"], days_left=3)
    make_repository_certificate(["fine.example.com"], days_left=40)
    make_repository_certificate(["revoked.example.com"], days_left=3, status="revoked")
    client.force_login(operator)
    attention = client.get("/").context["attention"]
    reasons = {certificate.common_name: why for certificate, why in attention["rows"]}
    assert set(reasons) == {
        "failing.example.com", "blocked.example.com", "alerted.example.com", "soon.example.com",
    }  # fmt: skip
    assert reasons["failing.example.com"] == ["Renewal failing (3 attempts)"]
    assert reasons["blocked.example.com"] == ["No automated path: no automated path"]
    assert reasons["alerted.example.com"] == ["Expiry alert sent, not renewed since"]
    assert reasons["soon.example.com"] == ["Expires within 7 days"]
    assert attention["total"] == 4
    listed = client.get("/certificates/", {"attention": "yes"}).context["object_list"]
    assert {c.common_name for c in listed} == set(reasons)
    api_listed = client.get("/api/v1/certificates/", {"attention": "yes"}).json()["results"]
    assert {c["common_name"] for c in api_listed} == set(reasons)


def test_the_needs_attention_list_is_limited_and_links_to_all(client, operator):
    for index in range(23):
        make_repository_certificate([f"soon{index}.example.com"], days_left=2)
    client.force_login(operator)
    response = client.get("/")
    assert len(response.context["attention"]["rows"]) == 20
    assert response.context["attention"]["total"] == 23
    assert "?attention=yes" in response.content.decode()


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_dashboard_costs_the_same_queries_for_10_and_200_certificates(client, operator):
    client.force_login(operator)
    for index in range(10):
        certificate = make_repository_certificate([f"a{index}.example.com"], days_left=index - 2)
        Certificate.objects.filter(pk=certificate.pk).update(renewal_failures=index % 2)
    with_ten = _dashboard_queries(client)
    certificates = [
        Certificate(common_name=f"b{index}.example.com", domains=[f"b{index}.example.com"])
        for index in range(190)
    ]
    Certificate.objects.bulk_create(certificates)
    template = Certificate.objects.first().current_version
    versions = CertificateVersion.objects.bulk_create(
        CertificateVersion(
            certificate=certificate,
            serial_number=f"{index:x}",
            issuer=template.issuer,
            key_type=template.key_type,
            key_fingerprint=template.key_fingerprint,
            not_before=template.not_before,
            not_after=timezone.now() + timedelta(days=index % 100 - 5),
            certificate_pem=template.certificate_pem,
            private_key_pem=template.private_key_pem,
            created_by_name="test",
        )
        for index, certificate in enumerate(Certificate.objects.filter(common_name__startswith="b"))
    )
    for version in versions:
        Certificate.objects.filter(pk=version.certificate_id).update(
            current_version=version, expires_at=version.not_after
        )
    assert Certificate.objects.count() == 200
    assert _dashboard_queries(client) == with_ten
