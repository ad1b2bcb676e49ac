"""Automated DNS-01 with a DNS account (spec R4, V8, V9, V10, D8) against Pebble and
the harness BIND9 taking RFC 2136 updates: no human step, no record left behind."""

import pytest

from dns_providers.actions import create_dns_account
from tests.acme_orders.e2e_helpers import finished, request_body, san_names, wait_for_request

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def harness_bind_credentials(bind_dns, **extra) -> dict:
    return {
        "server": bind_dns.host,
        "port": str(bind_dns.port),
        "key_name": bind_dns.tsig_key_name,
        "key_secret": bind_dns.tsig_secret,
        "algorithm": "hmac-sha256",
        **extra,
    }


@pytest.fixture
def rfc2136_account(bind_dns, administrator):
    return create_dns_account(
        provider="rfc2136",
        name="Harness BIND",
        credentials=harness_bind_credentials(bind_dns),
        actor=administrator,
    )


@pytest.mark.parametrize(
    "names",
    [["dns1.example.com", "dns2.example.com"], ["*.auto.example.com", "auto.example.com"]],
    ids=["two-names", "wildcard-and-base"],
)
def test_dns_account_issues_with_no_human_step_and_cleans_up(
    names, celery_worker, api_as, administrator, pebble_account, rfc2136_account, bind_dns
):
    api = api_as(administrator)
    body = request_body(
        pebble_account, names, challenge_type="dns-01", dns_account=rfc2136_account.pk
    )
    request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
    done = wait_for_request(api, request_id, finished)
    assert done["status"] == "available", done["error"]
    assert {c["solver"] for c in done["challenges"]} == {"dns"}
    certificate_id = api.post(f"/api/v1/requests/{request_id}/save/").json()["certificate"]
    certificate = api.get(f"/api/v1/certificates/{certificate_id}/").json()
    assert set(certificate["domains"]) == set(names)
    for name in {c["txt_name"] for c in done["challenges"]}:
        assert bind_dns.query(name, "TXT") == []


def test_assign_dns_later_starts_validation_on_its_own(
    celery_worker, api_as, administrator, pebble_account, rfc2136_account, bind_dns
):
    api = api_as(administrator)
    body = request_body(pebble_account, ["later.example.com"], challenge_type="dns-01")
    request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
    pending = wait_for_request(api, request_id, lambda b: len(b["challenges"]) == 1)
    assert pending["challenges"][0]["solver"] == "manual"

    assigned = api.post(
        f"/api/v1/requests/{request_id}/assign-dns/",
        {"dns_account": rfc2136_account.pk},
        format="json",
    )
    assert assigned.status_code == 200, assigned.content
    done = wait_for_request(api, request_id, finished)
    assert done["status"] == "available", done["error"]
    assert bind_dns.query("_acme-challenge.later.example.com", "TXT") == []


def test_cname_delegation_issues_with_credentials_for_the_target_zone_only(
    celery_worker, api_as, administrator, pebble_account, bind_dns
):
    bind_dns.add_record(
        "_acme-challenge.delegated.example.com", "CNAME", "delegated.acme.example.net."
    )
    example_net_only = create_dns_account(
        provider="rfc2136",
        name="example.net only",
        credentials=harness_bind_credentials(bind_dns, zone="example.net"),
        actor=administrator,
    )
    api = api_as(administrator)
    body = request_body(
        pebble_account,
        ["delegated.example.com"],
        challenge_type="dns-01",
        dns_account=example_net_only.pk,
    )
    request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
    done = wait_for_request(api, request_id, finished)
    assert done["status"] == "available", done["error"]
    from acme_orders.models import Challenge

    challenge = Challenge.objects.get(request_id=request_id)
    assert challenge.published_record_name == "delegated.acme.example.net"
    assert bind_dns.query("delegated.acme.example.net", "TXT") == []
    saved = api.post(f"/api/v1/requests/{request_id}/save/").json()
    assert saved["certificate"]
    assert san_names(challenge.request.certificate_pem) == {"delegated.example.com"}


def test_records_left_by_a_dead_worker_are_swept(
    celery_worker, administrator, pebble_account, rfc2136_account, bind_dns
):
    """A request that ended while its TXT record stayed (cleanup failed, or the worker
    died in between) is cleaned up by the periodic sweep (spec D8)."""
    from acme_orders.models import CertificateRequest, Challenge
    from acme_orders.tasks import clean_up_left_records

    request = CertificateRequest.objects.create(
        account=pebble_account,
        domains=["left.example.com"],
        challenge_type="dns-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        dns_account=rfc2136_account,
        status="failed",
    )
    challenge = Challenge.objects.create(
        request=request,
        domain="left.example.com",
        type="dns-01",
        authorization_url="https://ca.invalid/authz/1",
        key_authorization="token.thumbprint",
        solver="dns",
        presented=True,
        published_record_name="_acme-challenge.left.example.com",
        published_with=rfc2136_account,
    )
    bind_dns.add_txt("_acme-challenge.left.example.com", "someone-else")
    bind_dns.add_txt("_acme-challenge.left.example.com", challenge.txt_value)

    clean_up_left_records()

    assert bind_dns.query("_acme-challenge.left.example.com", "TXT") == ["someone-else"]
    challenge.refresh_from_db()
    assert challenge.cleaned_up
    bind_dns.delete_txt("_acme-challenge.left.example.com")
