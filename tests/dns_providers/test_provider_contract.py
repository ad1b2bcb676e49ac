"""One contract, every provider of the registry, each against its real server or fake."""

import pytest

from dns_providers.errors import DnsProviderError
from dns_providers.providers import PROVIDERS
from dns_providers.providers.fields import SECRET_MAX_LENGTH

pytestmark = pytest.mark.e2e

FIXTURE_FOR_PROVIDER = {
    "rfc2136": "rfc2136_under_test",
    "route53": "route53_under_test",
    "cloudflare": "cloudflare_under_test",
    "godaddy": "godaddy_under_test",
    "cloudns": "cloudns_under_test",
    "azure": "azure_under_test",
}


NOT_STRINGS = [53, 5.3, True, None, ["x"], {"x": "y"}]
# C0 controls, DEL, C1 controls (NEL), and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = ["\x00", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x85", "\u2028", "\u2029"]


def test_every_registered_provider_has_a_contract_fixture():
    assert set(PROVIDERS) == set(FIXTURE_FOR_PROVIDER)


@pytest.mark.parametrize("code", sorted(PROVIDERS))
def test_every_credential_is_a_bounded_string_without_control_characters(code):
    provider_class = PROVIDERS[code]
    for field in provider_class.fields:
        assert 0 < field.max_length <= SECRET_MAX_LENGTH, field.name

        def errors_of(value, field=field):
            return provider_class.clean_credentials({field.name: value})[1].get(field.name)

        too_long = "a" * (field.max_length + 1)
        assert errors_of(too_long) == [f"At most {field.max_length} characters."], field.name
        assert errors_of("a" * field.max_length) != errors_of(too_long), field.name
        for character in CONTROL_CHARACTERS:
            assert errors_of(f"a{character}b") == [
                "Must not contain control characters or line breaks."
            ], (field.name, character)
        for value in NOT_STRINGS:
            assert errors_of(value)[0].startswith("Must be a string"), (field.name, value)


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
