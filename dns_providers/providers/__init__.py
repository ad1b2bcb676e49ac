"""The registry of DNS providers, by code. A new provider is one module and one line here."""

from dns_providers.providers.azure import AzureDnsProvider
from dns_providers.providers.base import CredentialField, DnsProvider
from dns_providers.providers.cloudflare import CloudflareProvider
from dns_providers.providers.cloudns import ClouDnsProvider
from dns_providers.providers.godaddy import GoDaddyProvider
from dns_providers.providers.rfc2136 import Rfc2136Provider
from dns_providers.providers.route53 import Route53Provider

PROVIDERS: dict[str, type[DnsProvider]] = {
    provider.code: provider
    for provider in (
        Rfc2136Provider,
        Route53Provider,
        CloudflareProvider,
        GoDaddyProvider,
        ClouDnsProvider,
        AzureDnsProvider,
    )
}


def provider_choices() -> list[tuple[str, str]]:
    return [(code, provider.label) for code, provider in PROVIDERS.items()]


__all__ = ["PROVIDERS", "CredentialField", "DnsProvider", "provider_choices"]
