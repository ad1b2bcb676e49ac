"""Issuance end to end through the API: Pebble validates against BIND9, a real Celery
worker advances the request."""

import pytest
from cryptography.hazmat.primitives import serialization

from acme_orders.models import Certificate
from tests.acme_orders.e2e_helpers import (
    ForwardToLiveServer,
    ServeOnce,
    chain_verifies,
    request_body,
    san_names,
    wait_for_request,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manual_http01_issues_saves_and_verifies(
    celery_worker, api_as, administrator, pebble, pebble_account
):
    api = api_as(administrator)
    created = api.post(
        "/api/v1/requests/",
        request_body(pebble_account, ["www.example.com", "Example.COM"]),
        format="json",
    )
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    assert created.json()["domains"] == ["www.example.com", "example.com"]

    body = wait_for_request(api, request_id, lambda b: len(b["challenges"]) == 2)
    assert body["status"] == "pending"  # manual: waits for Verify
    tokens = {}
    for challenge in body["challenges"]:
        assert challenge["solver"] == "manual"
        assert challenge["http_path"].startswith("/.well-known/acme-challenge/")
        tokens[challenge["http_path"].rsplit("/", 1)[1]] = challenge["http_content"]

    # Verify before publishing: the pre-flight check names what is not served.
    api.post(f"/api/v1/requests/{request_id}/verify/")
    body = wait_for_request(api, request_id, lambda b: b["error"] or b["status"] != "pending")
    assert body["status"] == "pending", body
    assert body["error"].startswith("Not ready yet: "), body["error"]
    assert "www.example.com: " in body["error"] and " example.com: " in body["error"]

    with pebble.http01_server(tokens=tokens):
        assert api.post(f"/api/v1/requests/{request_id}/verify/").status_code == 200
        body = wait_for_request(api, request_id, lambda b: b["status"] in ("available", "failed"))
    assert body["status"] == "available", body["error"]

    saved = api.post(f"/api/v1/requests/{request_id}/save/")
    assert saved.status_code == 200
    certificate = Certificate.objects.get(pk=saved.json()["certificate"])
    version = certificate.current_version
    assert san_names(version.certificate_pem) == {"www.example.com", "example.com"}
    assert version.key_type == "EC P-256"
    chain_verifies(version.certificate_pem, version.chain_pem, pebble.root_pem())
    key = serialization.load_pem_private_key(version.private_key_pem.encode(), None)
    assert key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == version_public_key(version.certificate_pem)
    assert api.get(f"/api/v1/requests/{request_id}/").json()["status"] == "saved"
    listed = api.get("/api/v1/certificates/", {"name": "www.example"}).json()
    assert [c["id"] for c in listed["results"]] == [certificate.pk]


def version_public_key(certificate_pem: str) -> bytes:
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_builtin_responder_issues_with_no_human_step(
    celery_worker, api_as, administrator, pebble, pebble_account, live_server
):
    api = api_as(administrator)
    body = request_body(pebble_account, ["builtin.example.com"], use_builtin_http_responder=True)
    with ForwardToLiveServer(pebble.http_port, live_server.url):
        request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
        done = wait_for_request(api, request_id, lambda b: b["status"] in ("available", "failed"))
    assert done["status"] == "available", done["error"]
    assert [c["solver"] for c in done["challenges"]] == ["builtin-http"]
    # Once valid, the responder no longer answers for that token.
    token = done["challenges"][0]["http_path"].rsplit("/", 1)[1]
    assert api.get(f"/.well-known/acme-challenge/{token}").status_code == 404


def test_manual_dns01_with_wildcard_and_base_name(
    celery_worker, api_as, administrator, pebble, pebble_account, bind_dns
):
    api = api_as(administrator)
    names = ["*.wild.example.com", "wild.example.com"]
    body = request_body(pebble_account, names, challenge_type="dns-01")
    request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
    pending = wait_for_request(api, request_id, lambda b: len(b["challenges"]) == 2)
    txt = {(c["txt_name"], c["txt_value"]) for c in pending["challenges"]}
    assert {name for name, _ in txt} == {"_acme-challenge.wild.example.com"}  # two values, one name
    for name, value in txt:
        bind_dns.add_txt(name, value)
    try:
        api.post(f"/api/v1/requests/{request_id}/verify/")
        done = wait_for_request(api, request_id, lambda b: b["status"] in ("available", "failed"))
    finally:
        bind_dns.delete_txt("_acme-challenge.wild.example.com")
    assert done["status"] == "available", done["error"]
    certificate_id = api.post(f"/api/v1/requests/{request_id}/save/").json()["certificate"]
    version = Certificate.objects.get(pk=certificate_id).current_version
    assert san_names(version.certificate_pem) == set(names)


def test_a_challenge_that_cannot_validate_fails_with_the_ca_message_then_new_challenge_succeeds(
    celery_worker, api_as, administrator, pebble, pebble_account
):
    api = api_as(administrator)
    request_id = api.post(
        "/api/v1/requests/", request_body(pebble_account, ["flaky.example.com"]), format="json"
    ).json()["id"]
    pending = wait_for_request(api, request_id, lambda b: len(b["challenges"]) == 1)
    challenge = pending["challenges"][0]
    # The site serves the token to our pre-flight check, then stops: the CA sees a 404.
    with ServeOnce(pebble.http_port, challenge["http_path"], challenge["http_content"]):
        api.post(f"/api/v1/requests/{request_id}/verify/")
        failed = wait_for_request(api, request_id, lambda b: b["status"] in ("available", "failed"))
    assert failed["status"] == "failed"
    assert "flaky.example.com" in failed["error"] and "404" in failed["error"]
    assert failed["challenges"][0]["status"] == "invalid"
    assert "404" in failed["challenges"][0]["error"]

    assert api.post(f"/api/v1/requests/{request_id}/new-challenge/").status_code == 200
    fresh = wait_for_request(api, request_id, lambda b: len(b["challenges"]) == 1)
    retry = fresh["challenges"][0]
    assert retry["http_path"] != challenge["http_path"]
    token = retry["http_path"].rsplit("/", 1)[1]
    with pebble.http01_server(tokens={token: retry["http_content"]}):
        api.post(f"/api/v1/requests/{request_id}/verify/")
        done = wait_for_request(api, request_id, lambda b: b["status"] in ("available", "failed"))
    assert done["status"] == "available", done["error"]
