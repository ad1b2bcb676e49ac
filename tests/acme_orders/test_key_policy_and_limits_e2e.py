"""Key policies over re-issue, and the name limits, against Pebble with the built-in
HTTP-01 responder (no human step)."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from acme_orders.models import Certificate
from tests.acme_orders.e2e_helpers import (
    ForwardToLiveServer,
    request_body,
    san_names,
    wait_for_request,
)
from tests.factories import make_key_pem

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def public_key(certificate_pem: str) -> bytes:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def issue_and_save(api, request_id) -> Certificate:
    done = wait_for_request(api, request_id, lambda b: b["status"] in ("available", "failed"))
    assert done["status"] == "available", done["error"]
    return Certificate.objects.get(
        pk=api.post(f"/api/v1/requests/{request_id}/save/").json()["certificate"]
    )


@pytest.fixture
def responder(pebble, live_server):
    with ForwardToLiveServer(pebble.http_port, live_server.url):
        yield


@pytest.mark.parametrize("policy", ["new", "same", "import"])
def test_key_policy_on_reissue(
    policy, celery_worker, responder, api_as, administrator, pebble_account
):
    api = api_as(administrator)
    imported = make_key_pem() if policy == "import" else ""
    body = request_body(
        pebble_account,
        [f"{policy}-key.example.com"],
        use_builtin_http_responder=True,
        key_policy=policy,
        **({"imported_key_pem": imported} if imported else {}),
    )
    created = api.post("/api/v1/requests/", body, format="json")
    assert created.status_code == 201, created.content
    certificate = issue_and_save(api, created.json()["id"])
    first = certificate.current_version

    renewal = api.post(f"/api/v1/certificates/{certificate.pk}/renew/")
    assert renewal.status_code == 201, renewal.content
    certificate = issue_and_save(api, renewal.json()["id"])
    second = certificate.current_version

    assert first.pk != second.pk and first.serial_number != second.serial_number
    assert certificate.versions.count() == 2
    first_key, second_key = public_key(first.certificate_pem), public_key(second.certificate_pem)
    if policy == "new":
        assert first_key != second_key
    else:
        assert first_key == second_key
    if policy == "import":
        imported_key = serialization.load_pem_private_key(imported.encode(), None)
        assert first_key == imported_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    versions = api.get(f"/api/v1/certificates/{certificate.pk}/versions/").json()
    assert [v["serial_number"] for v in versions] == [second.serial_number, first.serial_number]


def test_a_hundred_names_issue_and_a_hundred_and_one_are_refused(
    celery_worker, responder, api_as, administrator, pebble_account
):
    api = api_as(administrator)
    names = [f"n{number}.example.com" for number in range(100)]
    refused = api.post(
        "/api/v1/requests/",
        request_body(pebble_account, [*names, "n100.example.com"], use_builtin_http_responder=True),
        format="json",
    )
    assert refused.status_code == 400
    assert "At most 100 names" in refused.json()["domains"][0]

    created = api.post(
        "/api/v1/requests/",
        request_body(pebble_account, names, use_builtin_http_responder=True),
        format="json",
    )
    certificate = issue_and_save_slow(api, created.json()["id"])
    assert san_names(certificate.current_version.certificate_pem) == set(names)


def issue_and_save_slow(api, request_id) -> Certificate:
    done = wait_for_request(
        api, request_id, lambda b: b["status"] in ("available", "failed"), seconds=180
    )
    assert done["status"] == "available", done["error"]
    return Certificate.objects.get(
        pk=api.post(f"/api/v1/requests/{request_id}/save/").json()["certificate"]
    )
