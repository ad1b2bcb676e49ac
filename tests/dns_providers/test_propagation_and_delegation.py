"""Propagation checks against the harness BIND as the zones' authoritative server, and
CNAME delegation picking the account that can see the target's zone (spec V9, V10)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from dns_providers import dns01
from dns_providers.delegation import challenge_record_name, find_challenge_record
from dns_providers.errors import DnsLookupError, DnsProviderError
from dns_providers.models import DnsAccount
from dns_providers.propagation import (
    PropagationState,
    authoritative_servers,
    check_txt_propagation,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def dns_points_at_bind(settings, bind_dns):
    # The harness zones' NS records say ns1.<zone> = 127.0.0.1; only the port differs.
    settings.CERTLIFE_DNS_RESOLVER = f"{bind_dns.host}:{bind_dns.port}"
    settings.CERTLIFE_DNS_AUTHORITATIVE_PORT = bind_dns.port


def unique(zone: str) -> str:
    return f"_acme-challenge.p{uuid.uuid4().hex[:10]}.{zone}"


def test_txt_added_to_bind_is_visible(dns_points_at_bind, bind_dns):
    name = unique("example.com")
    bind_dns.add_txt(name, "published")
    check = check_txt_propagation(name, "published", waited_seconds=0)
    assert check.state == PropagationState.VISIBLE
    assert check.message == f"TXT for {name} visible on ns1.example.com"


def test_missing_txt_waits_then_gives_up(dns_points_at_bind, bind_dns):
    name = unique("example.com")
    bind_dns.add_txt(name, "another-value")

    check = check_txt_propagation(name, "expected", waited_seconds=0, timeout_seconds=30)
    assert check.state == PropagationState.WAITING
    assert check.retry_in_seconds == 10

    check = check_txt_propagation(name, "expected", waited_seconds=25, timeout_seconds=30)
    assert (check.state, check.retry_in_seconds) == (PropagationState.WAITING, 5)

    check = check_txt_propagation(name, "expected", waited_seconds=30, timeout_seconds=30)
    assert check.state == PropagationState.GAVE_UP
    assert check.message == f"TXT for {name} not visible on ns1.example.com after 30 s"


def test_cname_is_followed_to_the_other_zone(dns_points_at_bind, bind_dns):
    alias = unique("example.com")
    target = unique("example.net")
    bind_dns.add_record(alias, "CNAME", target + ".")
    bind_dns.add_txt(target, "delegated")

    servers = authoritative_servers(alias)
    assert (servers.record_name, servers.zone) == (target, "example.net")
    assert servers.nameservers == (("ns1.example.net", "127.0.0.1"),)
    assert check_txt_propagation(alias, "delegated", waited_seconds=0).state == "visible"


@pytest.mark.django_db
def test_delegated_challenge_uses_the_account_that_sees_the_target_zone(
    dns_points_at_bind, bind_dns, cloudflare_under_test, rfc2136_under_test
):
    # The main zone's own account (RFC 2136 limited to example.com) is the request's,
    # but _acme-challenge points into example.net, which only Cloudflare holds.
    cloudflare_under_test.fake.zones = {
        zone_id: name
        for zone_id, name in cloudflare_under_test.fake.zones.items()
        if name == "example.net"
    }
    main_zone_account = DnsAccount.objects.create(
        provider="rfc2136",
        name="BIND example.com",
        credentials=json.dumps({**rfc2136_under_test.credentials, "zone": "example.com"}),
    )
    cloudflare = DnsAccount.objects.create(
        provider="cloudflare",
        name="Cloudflare",
        credentials=json.dumps(cloudflare_under_test.credentials),
    )
    domain = f"www{uuid.uuid4().hex[:8]}.example.com"
    target = unique("example.net")
    bind_dns.add_record(challenge_record_name(domain), "CNAME", target + ".")

    record = find_challenge_record(domain, account=main_zone_account)
    assert (record.record_name, record.zone, record.account) == (target, "example.net", cloudflare)

    published = dns01.publish(domain, "delegated-value", account=main_zone_account)
    assert (published.record_name, published.account) == (target, cloudflare)
    assert dns01.check(published, "delegated-value").state == PropagationState.VISIBLE
    check = check_txt_propagation(
        challenge_record_name(domain), "delegated-value", waited_seconds=0
    )
    assert check.state == PropagationState.VISIBLE
    dns01.remove(published, "delegated-value")
    dns01.remove(published, "delegated-value")  # quiet when already gone
    assert bind_dns.query(target, "TXT") == []

    cloudflare.enabled = False
    cloudflare.save()
    with pytest.raises(DnsProviderError) as failure:
        find_challenge_record(domain, account=main_zone_account)
    assert failure.value.permanent
    assert f"No enabled DNS account can write {target}" in failure.value.message


@pytest.mark.django_db
def test_undelegated_challenge_uses_the_requests_account(dns_points_at_bind, rfc2136_under_test):
    account = DnsAccount.objects.create(
        provider="rfc2136", name="BIND", credentials=json.dumps(rfc2136_under_test.credentials)
    )
    record = find_challenge_record("*.shop.example.net", account=account)
    assert record.record_name == "_acme-challenge.shop.example.net"
    assert (record.zone, record.account) == ("example.net", account)


@pytest.mark.django_db
def test_our_own_lookup_failure_is_not_a_provider_failure(settings, rfc2136_under_test):
    settings.CERTLIFE_DNS_RESOLVER = "127.0.0.1:9"  # nothing answers DNS there
    account = DnsAccount.objects.create(
        provider="rfc2136", name="BIND", credentials=json.dumps(rfc2136_under_test.credentials)
    )
    with pytest.raises(DnsLookupError) as failure:
        find_challenge_record("www.example.net", account=account)
    assert not isinstance(failure.value, DnsProviderError)
    assert not failure.value.permanent
    assert "to 127.0.0.1:9 failed" in failure.value.message


@pytest.mark.parametrize(
    ("waited", "expected"), [(0.2, 30), (13, 17), (41, 19), (1785, 15), (1795, 5)]
)
def test_the_next_check_is_due_on_the_providers_poll_grid(waited, expected):
    account = DnsAccount(provider="godaddy")  # polls every 30 s, for at most 1800 s
    published_at = timezone.now() - timedelta(seconds=waited)
    record = dns01.PublishedRecord("_acme-challenge.example.com", account, published_at)
    assert dns01.next_check_in(record) == expected
