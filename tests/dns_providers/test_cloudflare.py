"""Cloudflare against the fake API, which mirrors records into the harness BIND."""

import pytest
from django.core.exceptions import ValidationError

from dns_providers.actions import cleaned_credentials
from dns_providers.errors import DnsProviderError
from dns_providers.providers.cloudflare import CloudflareProvider

pytestmark = pytest.mark.e2e


def test_global_api_key_and_record_really_in_dns(cloudflare_under_test, bind_dns):
    fake = cloudflare_under_test.fake
    provider = CloudflareProvider({"email": fake.email, "api_key": fake.api_key})
    name = cloudflare_under_test.record_name()

    provider.add_txt(name, "token-value")
    assert bind_dns.query(name, "TXT") == ["token-value"]
    create = next(r for r in fake.requests if r.method == "POST")
    assert create.headers["x-auth-email"] == fake.email
    assert create.headers["content-type"] == "application/json"
    assert create.json() == {"type": "TXT", "name": name, "content": "token-value", "ttl": 120}

    provider.remove_txt(name, "token-value")
    assert bind_dns.query(name, "TXT") == []


def test_zone_list_is_read_across_pages(cloudflare_under_test):
    provider = CloudflareProvider(cloudflare_under_test.credentials)
    zones = provider.list_zones()
    assert len(zones) == 63
    pages = [
        r.query["page"] for r in cloudflare_under_test.fake.requests if r.path.endswith("/zones")
    ]
    assert pages == ["1", "2"]


def test_one_5xx_is_retried_then_succeeds(cloudflare_under_test):
    fake = cloudflare_under_test.fake
    provider = CloudflareProvider(cloudflare_under_test.credentials)
    fake.fail_next(503)
    assert "zone(s) visible" in provider.test()
    assert [r.path for r in fake.requests[:2]] == ["/client/v4/user/tokens/verify"] * 2


def test_rate_limit_exhausting_retries_is_temporary(cloudflare_under_test):
    fake = cloudflare_under_test.fake
    fake.fail_next(429, times=10)
    with pytest.raises(DnsProviderError) as failure:
        CloudflareProvider(cloudflare_under_test.credentials).list_zones()
    assert not failure.value.permanent
    assert "HTTP 429" in failure.value.message
    assert len(fake.requests) == 4


def test_403_is_permanent_and_not_retried(cloudflare_under_test):
    fake = cloudflare_under_test.fake
    with pytest.raises(DnsProviderError) as failure:
        CloudflareProvider({"email": "dns@example.com", "api_key": "wrong-key"}).list_zones()
    assert failure.value.permanent
    assert failure.value.message == (
        "Cloudflare: HTTP 403: 9103: Unknown X-Auth-Key or X-Auth-Email "
        "(check the credentials and their permissions)"
    )
    assert len(fake.requests) == 1


def test_credentials_need_a_token_or_email_and_key():
    _, errors = CloudflareProvider.clean_credentials({"email": "dns@example.com"})
    assert errors == {"api_key": ["Required when no API token is given."]}
    _, errors = CloudflareProvider.clean_credentials({"api_token": "t", "api_key": "k"})
    assert set(errors) == {"api_token"}
    with pytest.raises(ValidationError) as refused:
        cleaned_credentials("cloudflare", {"api_token": "t", "password": "x"})
    assert refused.value.message_dict == {
        "credentials": [
            "Cloudflare has no credential named 'password'; its credentials are api_token, "
            "email, api_key."
        ]
    }
