"""The repository's API (spec P2, P4, X2): listing, versions, export and local delete,
on certificates made in the test (no CA needed)."""

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from acme_orders.models import Certificate
from certlife.models import AuditEvent
from tests.factories import make_repository_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate():
    return make_repository_certificate(["api.example.com", "www.api.example.com"], days_left=40)


def export_url(certificate, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/v1/certificates/{certificate.pk}/export/?{query}"


def test_export_without_the_key_by_default(api_as, operator, certificate):
    response = api_as(operator).get(export_url(certificate, format="pem-bundle"))
    assert response.status_code == 200
    assert 'filename="api.example.com-bundle.pem"' in response["Content-Disposition"]
    assert b"BEGIN CERTIFICATE" in response.content and b"PRIVATE KEY" not in response.content
    event = AuditEvent.objects.get(action="certificate.export")
    assert event.detail == {
        "format": "pem-bundle",
        "include_key": False,
        "recipient": operator.username,
    }


def test_the_key_needs_its_own_permission(api_as, operator, administrator, certificate):
    url = export_url(certificate, format="pem", include_key="true")
    assert api_as(operator).get(url).status_code == 403
    denied = AuditEvent.objects.get(action="certificate.export")
    assert denied.outcome == "denied" and denied.detail["recipient"] == operator.username
    allowed = api_as(administrator).get(url)
    assert allowed.status_code == 200 and b"PRIVATE KEY" in allowed.content


def test_keystore_password_comes_in_a_header(api_as, administrator, certificate):
    api = api_as(administrator)
    missing = api.get(export_url(certificate, format="pkcs12", include_key="true"))
    assert missing.status_code == 400 and "password is required" in missing.json()["format"][0]
    response = api.get(
        export_url(certificate, format="pkcs12", include_key="true"),
        HTTP_X_KEYSTORE_PASSWORD="header-pass",
    )
    key, leaf, _chain = pkcs12.load_key_and_certificates(response.content, b"header-pass")
    assert key is not None and leaf is not None


def test_a_certificate_without_a_version_is_a_400_not_a_500(api_as, administrator):
    empty = Certificate.objects.create(
        common_name="empty.example.com", domains=["empty.example.com"]
    )
    response = api_as(administrator).get(export_url(empty, format="pem"))
    assert response.status_code == 400 and "no issued version" in response.json()["certificate"][0]


def test_list_filter_versions_and_local_delete(api_as, operator, administrator, certificate):
    api = api_as(operator)
    listed = api.get("/api/v1/certificates/", {"name": "www.api"}).json()
    assert [c["id"] for c in listed["results"]] == [certificate.pk]
    assert listed["results"][0]["days_left"] in (39, 40)
    versions = api.get(f"/api/v1/certificates/{certificate.pk}/versions/").json()
    assert [v["serial_number"] for v in versions] == [certificate.current_version.serial_number]
    assert api.delete(f"/api/v1/certificates/{certificate.pk}/").status_code == 403
    assert (
        api_as(administrator).delete(f"/api/v1/certificates/{certificate.pk}/").status_code == 204
    )
    assert not Certificate.objects.exists()
    assert AuditEvent.objects.filter(action="certificate.delete").count() == 1
