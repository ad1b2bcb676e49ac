"""Every DNS provider against its real server or its fake, behind one shape
(`ProviderUnderTest`) so the contract test can walk the registry."""

import contextlib
import dataclasses
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from dns_providers.providers import godaddy
from dns_providers.providers import http as provider_http
from tests.harness.tls import write_server_certificate

from .fakes import FILLER_ZONES, ZONES
from .fakes.azure import FakeAzure
from .fakes.cloudflare import FakeCloudflare
from .fakes.cloudns import FakeClouDns
from .fakes.godaddy import FakeGoDaddy
from .fakes.server import FakeApiServer


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
    no_backoff = dataclasses.replace(provider_http.RETRY_POLICY, backoff_base=0.0, backoff_cap=0.0)
    monkeypatch.setattr(provider_http, "RETRY_POLICY", no_backoff)
    monkeypatch.setattr(godaddy, "SETTLE_SECONDS", 0.0)


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


@pytest.fixture
def cloudns_under_test(bind_dns, dns_api_endpoints):
    api = FakeClouDns(
        auth_id="4321",
        sub_auth_id="8765",
        sub_auth_user="certlife-sub",
        password="cd-password-" + uuid.uuid4().hex,
        zones=ZONES + FILLER_ZONES,
        bind=bind_dns,
    )
    with FakeApiServer(api) as server:
        dns_api_endpoints["cloudns"] = server.url
        credentials = {"auth_id": api.auth_id, "auth_password": api.password}
        yield ProviderUnderTest(
            "cloudns",
            credentials,
            {**credentials, "auth_password": "wrong-password"},
            api.txt_values,
            fake=api,
        )


@pytest.fixture(scope="session")
def fake_azure_tls(tmp_path_factory):
    """(server SSL context, CA file) for the Azure fake: the SDKs only speak HTTPS."""
    ca_path, cert_path, key_path = write_server_certificate(tmp_path_factory.mktemp("azure-tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, str(ca_path)


@pytest.fixture
def azure_under_test(bind_dns, dns_api_endpoints, fake_azure_tls, settings):
    context, ca_path = fake_azure_tls
    api = FakeAzure(
        subscription_id=str(uuid.uuid4()),
        tenant_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        client_secret="az-secret-" + uuid.uuid4().hex,
        resource_group="certlife-dns",
        zones=ZONES + FILLER_ZONES,
        bind=bind_dns,
    )
    with FakeApiServer(api, ssl_context=context) as server:
        api.url = server.url
        dns_api_endpoints["azure_authority"] = dns_api_endpoints["azure_management"] = server.url
        settings.REQUESTS_CA_BUNDLE = ca_path
        credentials = {
            "subscription_id": api.subscription_id,
            "tenant_id": api.tenant_id,
            "client_id": api.client_id,
            "client_secret": api.client_secret,
            "resource_group": api.resource_group,
        }
        yield ProviderUnderTest(
            "azure",
            credentials,
            {**credentials, "client_secret": "wrong-secret"},
            api.txt_values,
            fake=api,
        )
