"""RFC 2136 against the harness BIND9 (real TSIG-signed updates)."""

import pytest

from dns_providers.errors import DnsProviderError, ZoneNotFoundError
from dns_providers.providers.rfc2136 import Rfc2136Provider

pytestmark = pytest.mark.e2e


def test_two_values_at_one_name_then_remove_one(rfc2136_under_test, bind_dns):
    provider = Rfc2136Provider(rfc2136_under_test.credentials)
    name = rfc2136_under_test.record_name("example.net")
    provider.add_txt(name, "mine")
    bind_dns.add_txt(name, "someone-elses")

    provider.remove_txt(name, "mine")
    provider.remove_txt(name, "mine")

    assert bind_dns.query(name, "TXT") == ["someone-elses"]


def test_zone_found_from_the_soa_of_each_zone(rfc2136_under_test):
    provider = Rfc2136Provider(rfc2136_under_test.credentials)
    assert provider.find_zone("_acme-challenge.deep.www.example.net") == "example.net"
    assert provider.find_zone("example.com") == "example.com"
    with pytest.raises(ZoneNotFoundError, match="serves no zone containing www.example.org"):
        provider.find_zone("www.example.org")


def test_configured_zone_is_used_and_names_outside_it_refused(rfc2136_under_test):
    provider = Rfc2136Provider({**rfc2136_under_test.credentials, "zone": "example.com"})
    assert provider.find_zone("_acme-challenge.a.example.com") == "example.com"
    assert "accepted the TSIG key" in provider.test()
    with pytest.raises(ZoneNotFoundError, match="not in the account's zone example.com"):
        provider.add_txt("_acme-challenge.a.example.net", "value")


def test_wrong_secret_fails_test_and_update_permanently(rfc2136_under_test, bind_dns):
    provider = Rfc2136Provider(rfc2136_under_test.bad_credentials)
    with pytest.raises(DnsProviderError) as failure:
        provider.test()
    assert failure.value.permanent
    assert "rejected the TSIG key" in failure.value.message
    assert "check the key name, secret and algorithm" in failure.value.message

    name = rfc2136_under_test.record_name()
    with pytest.raises(DnsProviderError) as failure:
        provider.add_txt(name, "nope")
    assert failure.value.permanent
    assert bind_dns.query(name, "TXT") == []


def test_unreachable_server_is_a_temporary_error(rfc2136_under_test, closed_port):
    credentials = {**rfc2136_under_test.credentials, "port": str(closed_port)}
    with pytest.raises(DnsProviderError) as failure:
        Rfc2136Provider(credentials).test()
    assert not failure.value.permanent
    assert "no answer from" in failure.value.message


def test_credential_rules():
    _, errors = Rfc2136Provider.clean_credentials(
        {
            "server": "ns1.example.com",
            "key_name": "k",
            "key_secret": "!!",
            "port": "99999",
            "algorithm": "hmac-sha3",
        }  # fmt: skip
    )
    assert set(errors) == {"key_secret", "port", "algorithm"}

    cleaned, errors = Rfc2136Provider.clean_credentials(
        {"server": "ns1.example.com", "key_name": "k", "key_secret": "c2VjcmV0"}
    )
    assert errors == {}
    assert cleaned["algorithm"] == "hmac-sha256"
    assert cleaned["port"] == "53"


def test_hmac_md5_only_when_chosen_and_with_a_warning(rfc2136_under_test, monkeypatch):
    provider = Rfc2136Provider({**rfc2136_under_test.credentials, "algorithm": "hmac-md5"})
    # The harness key is hmac-sha256, so BIND refuses an md5 signature: the warning
    # is checked on the message built for a server that would accept it.
    monkeypatch.setattr(provider, "_signed_query", lambda name, rdtype: _soa_answer())
    assert "Warning: hmac-md5 is weak" in provider.test()


def _soa_answer():
    import dns.message

    return dns.message.make_response(dns.message.make_query(".", "SOA"))
