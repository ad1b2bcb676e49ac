"""ClouDNS against the fake API: form-POSTed calls with the credentials in the body,
failures as HTTP 200 "Failed" bodies, records mirrored into the harness BIND."""

from urllib.parse import parse_qs

import pytest

from dns_providers.errors import DnsProviderError
from dns_providers.providers import cloudns
from dns_providers.providers import http as provider_http
from dns_providers.providers.cloudns import ClouDnsProvider

pytestmark = pytest.mark.e2e


def form(request) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}


def test_sub_auth_user_writes_beside_other_values_and_deletes_by_id(cloudns_under_test, bind_dns):
    fake = cloudns_under_test.fake
    provider = ClouDnsProvider(
        {"sub_auth_user": fake.sub_auth_user, "auth_password": fake.password}
    )
    name = cloudns_under_test.record_name("example.net")
    host = name.removesuffix(".example.net")

    provider.add_txt(name, "one")
    bind_dns.add_txt(name, "someone-elses")  # not in ClouDNS's list: never touched
    provider.remove_txt(name, "one")
    assert bind_dns.query(name, "TXT") == ["someone-elses"]
    bind_dns.delete_txt(name)

    add = next(r for r in fake.requests if r.path == "/dns/add-record.json")
    assert add.method == "POST"
    assert add.query == {}  # credentials travel in the body, never in the URL
    assert form(add) == {
        "sub-auth-user": fake.sub_auth_user,
        "auth-password": fake.password,
        "domain-name": "example.net",
        "record-type": "TXT",
        "host": host,
        "record": "one",
        "ttl": "60",
    }
    delete = next(r for r in fake.requests if r.path == "/dns/delete-record.json")
    assert form(delete)["record-id"] == "5769228"
    assert form(delete)["domain-name"] == "example.net"


def test_apex_record_uses_the_empty_host(cloudns_under_test):
    fake = cloudns_under_test.fake
    provider = ClouDnsProvider(cloudns_under_test.credentials)
    provider.add_txt("example.net", "apex-value")
    assert fake.records["example.net"]["5769228"]["host"] == ""
    provider.remove_txt("example.net", "apex-value")
    assert fake.txt_values("example.net") == []


def test_zone_list_is_read_across_pages(cloudns_under_test, monkeypatch):
    monkeypatch.setattr(cloudns, "PAGE_SIZE", 50)
    assert len(ClouDnsProvider(cloudns_under_test.credentials).list_zones()) == 63
    pages = [form(r)["page"] for r in cloudns_under_test.fake.requests]
    assert pages == ["1", "2"]


def test_rate_limit_answer_is_retried_then_temporary(cloudns_under_test):
    fake = cloudns_under_test.fake
    fake.block_next()
    assert "zone(s) visible" in ClouDnsProvider(cloudns_under_test.credentials).test()

    fake.block_next(10)
    with pytest.raises(DnsProviderError) as failure:
        ClouDnsProvider(cloudns_under_test.credentials).list_zones()
    assert not failure.value.permanent
    assert failure.value.message == (
        "ClouDNS: Request blocked. 127.0.0.1 is sending more than 20 requests per second. "
        "(try again later)"
    )


def test_persistent_temporary_failures_make_at_most_the_policy_attempts(cloudns_under_test):
    """HTTP 5xx and ClouDNS's "Request blocked" answers are retried in one loop: no
    retry inside a retry (once 4 x 4 = 16 requests)."""
    fake = cloudns_under_test.fake
    fake.requests.clear()
    for _ in range(4):
        fake.fail_next(502, times=3)
        fake.block_next()
    with pytest.raises(DnsProviderError) as failure:
        ClouDnsProvider(cloudns_under_test.credentials).call("login")
    assert not failure.value.permanent
    assert len(fake.requests) == provider_http.RETRY_POLICY.max_attempts == 4


def test_server_error_is_temporary_and_bad_password_permanent(cloudns_under_test):
    fake = cloudns_under_test.fake
    fake.fail_next(502, times=4)
    with pytest.raises(DnsProviderError) as failure:
        ClouDnsProvider(cloudns_under_test.credentials).test()
    assert not failure.value.permanent
    assert failure.value.message.startswith("ClouDNS: HTTP 502: Internal error")

    credentials = {"sub_auth_id": fake.sub_auth_id, "auth_password": "wrong"}
    with pytest.raises(DnsProviderError) as failure:
        ClouDnsProvider(credentials).test()
    assert failure.value.permanent
    assert failure.value.message == (
        "ClouDNS: Invalid authentication, incorrect sub-auth-id, sub-auth-user or "
        "auth-password. Check the auth ID (or sub-auth ID or user), the password, and the "
        "API user's allowed IP addresses."
    )


def test_refused_write_is_permanent_and_names_the_call(cloudns_under_test, monkeypatch):
    monkeypatch.setattr(cloudns, "TXT_TTL_SECONDS", 120)
    provider = ClouDnsProvider(cloudns_under_test.credentials)
    with pytest.raises(DnsProviderError) as failure:
        provider.add_txt(cloudns_under_test.record_name(), "value")
    assert failure.value.permanent
    assert failure.value.message == (
        "ClouDNS: Invalid TTL. Choose from the list of the values we support. "
        "(add-record was refused)"
    )


@pytest.mark.parametrize(
    ("submitted", "errors"),
    [
        ({"auth_password": "p"}, {"auth_id", "sub_auth_id", "sub_auth_user"}),
        (
            {"auth_id": "1", "sub_auth_user": "u", "auth_password": "p"},
            {"auth_id", "sub_auth_user"},
        ),
        ({"auth_id": "abc", "auth_password": "p"}, {"auth_id"}),
        ({"sub_auth_user": "u"}, {"auth_password"}),
        ({"sub_auth_id": "12", "auth_password": "p"}, set()),
    ],
)
def test_exactly_one_login_and_a_password(submitted, errors):
    _, found = ClouDnsProvider.clean_credentials(submitted)
    assert set(found) == errors
