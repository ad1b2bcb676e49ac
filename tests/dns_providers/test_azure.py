"""Azure DNS through the real azure-identity and azure-mgmt-dns against the HTTPS fake
of Entra ID and Resource Manager: read-modify-write of the TXT set under ETags, the
token request, and errors that say what to fix."""

import pytest

from dns_providers.errors import DnsProviderError
from dns_providers.providers import http as provider_http
from dns_providers.providers.azure import AzureDnsProvider

pytestmark = pytest.mark.e2e


def writes(fake):
    return [
        (r.method, r.headers.get("if-match"), r.headers.get("if-none-match"))
        for r in fake.requests
        if r.method in ("PUT", "DELETE")
    ]


def test_a_concurrent_write_is_not_lost(azure_under_test, bind_dns):
    fake = azure_under_test.fake
    provider = AzureDnsProvider(azure_under_test.credentials)
    name = azure_under_test.record_name("example.net")
    relative = name.removesuffix(".example.net")

    provider.add_txt(name, "ours")
    first_etag = fake.record_sets[("example.net", relative)]["etag"]
    seen_etags = []

    def someone_else_writes():  # between our read and our write
        fake.put_txt("example.net", relative, ["ours", "theirs"])
        seen_etags.append(fake.record_sets[("example.net", relative)]["etag"])

    fake.before_next_write = someone_else_writes
    provider.add_txt(name, "second")

    assert fake.txt_values(name) == ["ours", "second", "theirs"]
    assert sorted(bind_dns.query(name, "TXT")) == ["ours", "second", "theirs"]
    assert writes(fake) == [
        ("PUT", None, "*"),  # created only if absent
        ("PUT", first_etag, None),  # refused: the set changed (412)
        ("PUT", seen_etags[0], None),  # after reading the set again
    ]

    provider.remove_txt(name, "ours")
    provider.remove_txt(name, "second")
    assert fake.txt_values(name) == ["theirs"]
    fake.put_txt("example.net", relative, ["theirs"])


def test_last_value_deletes_the_set_under_its_etag_and_gone_is_quiet(azure_under_test):
    fake = azure_under_test.fake
    provider = AzureDnsProvider(azure_under_test.credentials)
    name = azure_under_test.record_name()

    provider.add_txt(name, "only")
    etag = next(iter(fake.record_sets.values()))["etag"]
    provider.remove_txt(name, "only")
    provider.remove_txt(name, "only")

    assert fake.record_sets == {}
    assert writes(fake) == [("PUT", None, "*"), ("DELETE", etag, None)]
    put = next(r for r in fake.requests if r.method == "PUT")
    assert put.json()["properties"] == {"TTL": 60, "TXTRecords": [{"value": ["only"]}]}
    assert {r.query.get("api-version") for r in fake.requests if "subscriptions" in r.path} == {
        "2018-05-01"
    }


def test_token_is_asked_for_resource_manager_and_zones_are_paged(azure_under_test):
    fake = azure_under_test.fake
    assert len(AzureDnsProvider(azure_under_test.credentials).list_zones()) == 63
    token = next(r for r in fake.requests if r.path.endswith("/oauth2/v2.0/token"))
    form = dict(pair.split("=", 1) for pair in token.body.decode().split("&"))
    assert form["grant_type"] == "client_credentials"
    assert form["scope"].endswith(".default")
    zone_pages = [r.query.get("$skiptoken") for r in fake.requests if r.path.endswith("dnsZones")]
    assert zone_pages == [None, "50"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"client_secret": "wrong-secret"},
            "Azure DNS: AADSTS7000215: Invalid client secret provided. (check the tenant ID, "
            "client ID and client secret, and that the secret has not expired)",
        ),
        (
            {"tenant_id": "00000000-0000-0000-0000-000000000000"},
            "Azure DNS: the directory (tenant) ID 00000000-0000-0000-0000-000000000000 is "
            "unknown (check the tenant ID, client ID and client secret, and that the secret "
            "has not expired)",
        ),
        (
            {"resource_group": "no-such-group"},
            "Azure DNS: ResourceGroupNotFound: Resource group 'no-such-group' could not be "
            "found. (check the subscription ID and the resource group)",
        ),
    ],
    ids=["secret", "tenant", "resource-group"],
)
def test_refusals_are_permanent_and_say_what_to_fix(azure_under_test, change, message):
    credentials = {**azure_under_test.credentials, **change}
    with pytest.raises(DnsProviderError) as failure:
        AzureDnsProvider(credentials).test()
    assert failure.value.permanent
    assert failure.value.message == message


def test_server_errors_are_retried_then_temporary(azure_under_test):
    fake = azure_under_test.fake
    provider = AzureDnsProvider(azure_under_test.credentials)
    provider.test()  # the token first, so the failures below hit Resource Manager
    fake.fail_next(503)
    assert "zone(s) visible" in provider.test()

    fake.requests.clear()
    fake.fail_next(503, times=10)
    with pytest.raises(DnsProviderError) as failure:
        provider.test()
    assert not failure.value.permanent
    # One retry loop (certlife.retry), none inside the Azure SDK's transport.
    assert len(fake.requests) == provider_http.RETRY_POLICY.max_attempts
    assert failure.value.message.startswith("Azure DNS: HTTP 503: InternalServerError: try again")
