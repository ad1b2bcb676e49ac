"""CAA checked against the harness BIND9 before any order exists."""

import pytest
from acme import messages

from accounts.acme_client import acme_client_for
from acme_orders import pipeline
from acme_orders.caa import caa_problem
from tests.acme_orders.e2e_helpers import InProcessWorker, new_request

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def caa_records(bind_dns):
    bind_dns.add_record("other-ca.example.com", "CAA", '0 issue "otherca.example"')
    bind_dns.add_record("our-ca.example.com", "CAA", '0 issue "ca.certlife.test"')
    bind_dns.add_record("our-ca.example.com", "CAA", '0 issuewild ";"')
    bind_dns.add_record(
        "dns-only.example.com", "CAA", '0 issue "ca.certlife.test; validationmethods=dns-01"'
    )
    bind_dns.add_record(
        "one-account.example.com", "CAA", f'0 issue "ca.certlife.test; accounturi={ACCOUNT_URL}"'
    )
    # Wildcards only: issue forbids every CA, issuewild allows ours.
    bind_dns.add_record("wild-only.example.com", "CAA", '0 issue ";"')
    bind_dns.add_record("wild-only.example.com", "CAA", '0 issuewild "ca.certlife.test"')
    # A forbidding parent with an allowing child, and an allowing parent (our-ca) with a
    # forbidding child: the closest set decides, the sets are never merged.
    bind_dns.add_record("caa-tree.example.com", "CAA", '0 issue "otherca.example"')
    bind_dns.add_record("allowed.caa-tree.example.com", "CAA", '0 issue "ca.certlife.test"')
    bind_dns.add_record("blocked.our-ca.example.com", "CAA", '0 issue ";"')
    return bind_dns


ACCOUNT_URL = "https://ca.certlife.test/acct/1"


def problem(name, challenge_type="http-01", account_url=ACCOUNT_URL):
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
    assert problem("www.allowed.caa-tree.example.com") is None
    assert "caa-tree.example.com" in problem("www.caa-tree.example.com")
    assert "blocked.our-ca.example.com" in problem("www.blocked.our-ca.example.com")


def test_issuewild_governs_wildcards(acme_environment, caa_records):
    assert problem("*.our-ca.example.com", challenge_type="dns-01") is not None
    assert problem("*.other-ca.example.com", challenge_type="dns-01") is not None
    assert problem("*.wild-only.example.com", challenge_type="dns-01") is None
    assert problem("wild-only.example.com", challenge_type="dns-01") is not None


def test_validation_methods_are_honoured(acme_environment, caa_records):
    assert problem("dns-only.example.com", challenge_type="dns-01") is None
    assert problem("dns-only.example.com", challenge_type="http-01") is not None


def test_accounturi_allows_only_the_account_it_names(acme_environment, caa_records):
    assert problem("one-account.example.com", account_url=ACCOUNT_URL) is None
    other_account = "https://ca.certlife.test/acct/2"
    refused = problem("www.one-account.example.com", account_url=other_account)
    assert refused is not None


def test_no_identities_known_means_the_ca_decides(acme_environment, caa_records):
    assert (
        caa_problem(
            "www.other-ca.example.com", identities=[], account_url="", challenge_type="http-01"
        )
        is None
    )


@pytest.fixture
def worker(monkeypatch):
    """The test advances its requests itself; no Celery worker may take them."""
    return InProcessWorker(monkeypatch)


def client_with_caa_identity(account):
    """The account's client, its directory naming the CA as ca.certlife.test: Pebble 2.4
    publishes no caaIdentities, a real CA's directory does."""
    client = acme_client_for(account)
    directory = client.directory.to_partial_json()
    directory["meta"] = {**directory.get("meta", {}), "caaIdentities": ["ca.certlife.test"]}
    client.directory = messages.Directory.from_json(directory)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_forbidding_caa_record_fails_the_request_before_any_order(
    worker, caa_records, pebble_account, administrator
):
    request = new_request(pebble_account, administrator, ["shop.other-ca.example.com"])
    with pytest.raises(pipeline.RequestFailed, match="otherca.example"):
        pipeline.advance(request, client_with_caa_identity(pebble_account))
    request.refresh_from_db()
    assert request.order_url == "" and request.order_requested_at is None


@pytest.mark.django_db(transaction=True)
def test_the_order_is_placed_only_for_the_account_that_accounturi_names(
    worker, caa_records, pebble_account, administrator
):
    """The pipeline compares accounturi with the request's own account URL."""
    ours, theirs = "ours.caa-account.example.com", "theirs.caa-account.example.com"
    caa_records.add_record(
        ours, "CAA", f'0 issue "ca.certlife.test; accounturi={pebble_account.account_url}"'
    )
    caa_records.add_record(
        theirs, "CAA", f'0 issue "ca.certlife.test; accounturi={pebble_account.account_url}9"'
    )
    client = client_with_caa_identity(pebble_account)

    refused = new_request(pebble_account, administrator, [theirs])
    with pytest.raises(pipeline.RequestFailed, match=theirs):
        pipeline.advance(refused, client)
    refused.refresh_from_db()
    assert refused.order_url == ""

    allowed = new_request(pebble_account, administrator, [ours])
    pipeline.advance(allowed, client)
    allowed.refresh_from_db()
    assert allowed.order_url and allowed.challenges.count() == 1
