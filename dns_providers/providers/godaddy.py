"""GoDaddy Domains API v1 (spec D6): API key + secret, `Authorization: sso-key K:S`.

GoDaddy sets all TXT values of a name at once (PUT replaces the list), so adding and
removing read the list first and write it back with only our value changed.
"""

import requests

from dns_providers.providers.base import CredentialField, DnsProvider, normalize_name, relative_name
from dns_providers.providers.fields import SECRET_MAX_LENGTH, api_token
from dns_providers.providers.http import JsonApiClient, endpoint

API_URL = "https://api.godaddy.com"
PAGE_SIZE = 100
TXT_TTL_SECONDS = 600  # GoDaddy's minimum


def describe_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    text = f"{body.get('code', '')}: {body.get('message', '')}"
    if body.get("code") == "ACCESS_DENIED":
        text += " (GoDaddy opens its DNS API only to some accounts)"
    return text


class GoDaddyProvider(DnsProvider):
    code = "godaddy"
    label = "GoDaddy"
    # GoDaddy's nameservers are known to take many minutes to serve a new record.
    propagation_poll_seconds = 30
    propagation_timeout_seconds = 1800
    fields = (
        CredentialField("api_key", "API key", max_length=255, format=api_token),
        CredentialField(
            "api_secret",
            "API secret",
            max_length=SECRET_MAX_LENGTH,
            format=api_token,
            secret=True,
        ),
    )

    def __init__(self, credentials):
        super().__init__(credentials)
        key, secret = self.credentials.get("api_key", ""), self.credentials.get("api_secret", "")
        self.api = JsonApiClient(
            self.label,
            endpoint("godaddy", API_URL),
            headers={"Authorization": f"sso-key {key}:{secret}", "Accept": "application/json"},
            describe_error=describe_error,
        )

    def list_zones(self) -> list[str]:
        zones, marker = [], None
        while True:
            params = {"statuses": "ACTIVE", "limit": PAGE_SIZE}
            if marker:
                params["marker"] = marker
            page = self.api.request("GET", "/v1/domains", params=params).json()
            zones += [normalize_name(domain["domain"]) for domain in page]
            if len(page) < PAGE_SIZE:
                return zones
            marker = page[-1]["domain"]

    def _records_path(self, fqdn: str) -> str:
        zone = self.find_zone(fqdn)
        return f"/v1/domains/{zone}/records/TXT/{relative_name(fqdn, zone)}"

    def _values(self, path: str) -> list[str]:
        return [record["data"] for record in self.api.request("GET", path).json()]

    def _write(self, path: str, values: list[str]) -> None:
        if values:
            body = [{"data": value, "ttl": TXT_TTL_SECONDS} for value in values]
            self.api.request("PUT", path, json=body)
        else:
            self.api.request("DELETE", path)

    def add_txt(self, fqdn: str, value: str) -> None:
        path = self._records_path(fqdn)
        values = self._values(path)
        if value not in values:
            self._write(path, [*values, value])

    def remove_txt(self, fqdn: str, value: str) -> None:
        path = self._records_path(fqdn)
        values = self._values(path)
        if value in values:
            self._write(path, [other for other in values if other != value])

    def test(self) -> str:
        domains = self.api.request("GET", "/v1/domains", params={"limit": 1}).json()
        return f"API key accepted; {'domains' if domains else 'no domain'} visible"
