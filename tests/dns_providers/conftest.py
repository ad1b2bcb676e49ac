"""Every DNS provider against its real server or its fake, behind one shape
(`ProviderUnderTest`) so the contract test can walk the registry."""

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from dns_providers.providers import http as provider_http

from .fakes.cloudflare import FakeCloudflare
from .fakes.godaddy import FakeGoDaddy
from .fakes.route53 import start_moto_route53
from .fakes.server import FakeApiServer

ZONES = ("example.com", "example.net", "sub.example.com")
# More zones than one page of a provider's zone list, so pagination is exercised.
FILLER_ZONES = tuple(f"filler-{number:02}.test" for number in range(60))


@dataclass
class ProviderUnderTest:
    code: str
    credentials: dict
    bad_credentials: dict
    published: Callable[[str], list[str]]  # TXT values the server holds at a name
    fake: object = None
    # Entered while bad credentials are tried (moto checks keys only inside it).
    checking_credentials: Callable = contextlib.nullcontext
    # A zone inside example.com, to check the longest match wins (BIND has none).
    subzone: str | None = "sub.example.com"

    def record_name(self, zone="example.com") -> str:
        return f"_acme-challenge.t{uuid.uuid4().hex[:10]}.{zone}"


@pytest.fixture(autouse=True)
def no_retry_waits(monkeypatch):
    monkeypatch.setattr(provider_http, "RETRY_DELAYS_SECONDS", (0.0, 0.0, 0.0))


@pytest.fixture
def dns_api_endpoints(settings):
    """Point providers at fakes: `dns_api_endpoints["cloudflare"] = url`."""
    settings.CERTLIFE_DNS_API_ENDPOINTS = {}
    return settings.CERTLIFE_DNS_API_ENDPOINTS


@pytest.fixture
def rfc2136_under_test(bind_dns):
    credentials = {
        "server": bind_dns.host,
        "port": str(bind_dns.port),
        "key_name": bind_dns.tsig_key_name,
        "key_secret": bind_dns.tsig_secret,
        "algorithm": "hmac-sha256",
    }
    wrong_secret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE="
    return ProviderUnderTest(
        "rfc2136",
        credentials,
        {**credentials, "key_secret": wrong_secret},
        lambda name: sorted(bind_dns.query(name, "TXT")),
        subzone=None,
    )


@pytest.fixture(scope="session")
def moto_route53(tmp_path_factory):
    moto = start_moto_route53(tmp_path_factory.mktemp("moto"), ZONES + FILLER_ZONES[:3])
    yield moto
    moto.process.stop()


def _route53_values(moto, name: str) -> list[str]:
    client = moto.client()
    zones = client.list_hosted_zones()["HostedZones"]
    zone = max(
        (z for z in zones if (name + ".").endswith("." + z["Name"])), key=lambda z: len(z["Name"])
    )
    sets = client.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    return sorted(
        record["Value"].strip('"')
        for record_set in sets
        if record_set["Name"] == name + "." and record_set["Type"] == "TXT"
        for record in record_set["ResourceRecords"]
    )


@pytest.fixture
def route53_under_test(moto_route53, dns_api_endpoints):
    dns_api_endpoints["route53"] = dns_api_endpoints["sts"] = moto_route53.url
    credentials = {
        "access_key_id": moto_route53.access_key_id,
        "secret_access_key": moto_route53.secret_access_key,
    }
    return ProviderUnderTest(
        "route53",
        credentials,
        {**credentials, "secret_access_key": "not-the-secret"},
        lambda name: _route53_values(moto_route53, name),
        fake=moto_route53,
        checking_credentials=moto_route53.authentication_enforced,
    )


@pytest.fixture
def fake_cloudflare(bind_dns):
    api = FakeCloudflare(
        api_token="cf-token-" + uuid.uuid4().hex,
        email="dns@example.com",
        api_key="cf-global-" + uuid.uuid4().hex,
        zones=ZONES + FILLER_ZONES,
        bind=bind_dns,
    )
    with FakeApiServer(api) as server:
        api.url = server.url + "/client/v4"
        yield api


@pytest.fixture
def cloudflare_under_test(fake_cloudflare, dns_api_endpoints):
    dns_api_endpoints["cloudflare"] = fake_cloudflare.url
    return ProviderUnderTest(
        "cloudflare",
        {"api_token": fake_cloudflare.api_token},
        {"api_token": "cf-token-wrong"},
        fake_cloudflare.txt_values,
        fake=fake_cloudflare,
    )


@pytest.fixture
def godaddy_under_test(bind_dns, dns_api_endpoints):
    api = FakeGoDaddy(
        api_key="gd-key",
        api_secret="gd-secret-" + uuid.uuid4().hex,
        zones=ZONES + FILLER_ZONES,
        bind=bind_dns,
    )
    with FakeApiServer(api) as server:
        dns_api_endpoints["godaddy"] = server.url
        yield ProviderUnderTest(
            "godaddy",
            {"api_key": api.api_key, "api_secret": api.api_secret},
            {"api_key": api.api_key, "api_secret": "wrong-secret"},
            api.txt_values,
            fake=api,
        )
