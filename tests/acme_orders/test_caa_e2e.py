"""CAA checked against the harness BIND9 before any order exists."""

import pytest
from acme import messages

from accounts.acme_client import acme_client_for
from acme_orders import pipeline
from acme_orders.actions import request_certificate
from acme_orders.caa import caa_problem

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def caa_records(bind_dns):
    bind_dns.add_record("other-ca.example.com", "CAA", '0 issue "otherca.example"')
    bind_dns.add_record("our-ca.example.com", "CAA", '0 issue "ca.certlife.test"')
    bind_dns.add_record("our-ca.example.com", "CAA", '0 issuewild ";"')
    bind_dns.add_record(
        "dns-only.example.com", "CAA", '0 issue "ca.certlife.test; validationmethods=dns-01"'
    )
    return bind_dns


def problem(name, challenge_type="http-01", account_url="https://ca/acct/1"):
    return caa_problem(
        name,
        identities=["ca.certlife.test"],
        account_url=account_url,
        challenge_type=challenge_type,
    )


def test_closest_caa_up_the_tree_decides(acme_environment, caa_records):
    message = problem("www.other-ca.example.com")
    assert "otherca.example" in message and "other-ca.example.com" in message
    assert problem("www.our-ca.example.com") is None
    assert problem("no-caa-here.example.com") is None


def test_issuewild_governs_wildcards(acme_environment, caa_records):
    assert problem("*.our-ca.example.com", challenge_type="dns-01") is not None
    assert problem("*.other-ca.example.com", challenge_type="dns-01") is not None


def test_validation_methods_are_honoured(acme_environment, caa_records):
    assert problem("dns-only.example.com", challenge_type="dns-01") is None
    assert problem("dns-only.example.com", challenge_type="http-01") is not None


def test_no_identities_known_means_the_ca_decides(acme_environment, caa_records):
    assert (
        caa_problem(
            "www.other-ca.example.com", identities=[], account_url="", challenge_type="http-01"
        )
        is None
    )


@pytest.mark.django_db(transaction=True)
def test_a_forbidding_caa_record_fails_the_request_before_any_order(
    caa_records, pebble_account, administrator
):
    request = request_certificate(
        actor=administrator,
        account=pebble_account,
        domains=["shop.other-ca.example.com"],
        challenge_type="http-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
    )
    client = acme_client_for(pebble_account)
    # Pebble 2.4 publishes no caaIdentities; give its directory one, as a real CA's has.
    directory = client.directory.to_partial_json()
    directory["meta"] = {**directory.get("meta", {}), "caaIdentities": ["ca.certlife.test"]}
    client.directory = messages.Directory.from_json(directory)
    with pytest.raises(pipeline.RequestFailed, match="otherca.example"):
        pipeline.advance(request, client)
    request.refresh_from_db()
    assert request.order_url == "" and request.order_requested_at is None
