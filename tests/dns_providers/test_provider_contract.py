"""One contract, every provider of the registry, each against its real server or fake."""

import pytest

from dns_providers.errors import DnsProviderError
from dns_providers.providers import PROVIDERS

pytestmark = pytest.mark.e2e

FIXTURE_FOR_PROVIDER = {
    "rfc2136": "rfc2136_under_test",
    "route53": "route53_under_test",
    "cloudflare": "cloudflare_under_test",
    "godaddy": "godaddy_under_test",
    "cloudns": "cloudns_under_test",
    "azure": "azure_under_test",
}


def test_every_registered_provider_has_a_contract_fixture():
    assert set(PROVIDERS) == set(FIXTURE_FOR_PROVIDER)


@pytest.mark.parametrize("code", sorted(PROVIDERS))
def test_provider_honours_the_contract(code, request):
    if code not in FIXTURE_FOR_PROVIDER:
        pytest.fail(f"provider {code!r} has no fake-server fixture in FIXTURE_FOR_PROVIDER")
    under_test = request.getfixturevalue(FIXTURE_FOR_PROVIDER[code])
    provider_class = PROVIDERS[code]
    _, errors = provider_class.clean_credentials(under_test.credentials)
    assert errors == {}
    provider = provider_class(under_test.credentials)
    name = under_test.record_name()

    assert provider.find_zone(name) == "example.com"
    if under_test.subzone:
        subzone_name = under_test.record_name(under_test.subzone)
        assert provider.find_zone(subzone_name) == under_test.subzone

    provider.add_txt(name, "first-value")
    provider.add_txt(name, "second-value")
    provider.add_txt(name, "second-value")  # adding again is harmless
    assert under_test.published(name) == ["first-value", "second-value"]

    provider.remove_txt(name, "first-value")
    assert under_test.published(name) == ["second-value"]
    provider.remove_txt(name, "first-value")  # already gone: quiet
    provider.remove_txt(name, "second-value")
    provider.remove_txt(name, "second-value")
    assert under_test.published(name) == []

    assert provider.test()

    with under_test.checking_credentials(), pytest.raises(DnsProviderError) as failure:
        provider_class(under_test.bad_credentials).test()
    assert failure.value.permanent
    assert failure.value.message.startswith(provider_class.label)
    for secret_field in provider_class.secret_fields:
        for credentials in (under_test.credentials, under_test.bad_credentials):
            if credentials.get(secret_field):
                assert credentials[secret_field] not in failure.value.message


@pytest.mark.parametrize("code", sorted(PROVIDERS))
def test_provider_reports_a_zone_it_cannot_see(code, request):
    under_test = request.getfixturevalue(FIXTURE_FOR_PROVIDER[code])
    provider = PROVIDERS[code](under_test.credentials)
    with pytest.raises(DnsProviderError) as failure:
        provider.add_txt("_acme-challenge.www.not-mine.example.org", "value")
    assert failure.value.permanent
    assert "not-mine.example.org" in failure.value.message
