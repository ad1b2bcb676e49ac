"""Cloudflare, API v4 (docs/features.md D3): a scoped API token, or account email and
global API key."""

import requests

from dns_providers.providers.base import CredentialField, DnsProvider, normalize_name
from dns_providers.providers.fields import (
    EMAIL_MAX_LENGTH,
    email_address,
    secret_api_token,
)
from dns_providers.providers.http import JsonApiClient, endpoint

API_URL = "https://api.cloudflare.com/client/v4"
PAGE_SIZE = 50
# Cloudflare refuses TTLs under 60 s and only enterprise zones accept 60; 120 works on all.
TXT_TTL_SECONDS = 120


def describe_error(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return ""
    return "; ".join(f"{error.get('code')}: {error.get('message')}" for error in errors)


class CloudflareProvider(DnsProvider):
    code = "cloudflare"
    label = "Cloudflare"
    propagation_poll_seconds = 5
    fields = (
        secret_api_token(
            "api_token",
            "API token",
            required=False,
            help="A scoped token with Zone:Read and DNS:Edit. Or leave blank and give the "
            "email and global API key.",
        ),
        CredentialField(
            "email",
            "Account email",
            max_length=EMAIL_MAX_LENGTH,
            format=email_address,
            required=False,
        ),
        secret_api_token("api_key", "Global API key", required=False),
    )

    @classmethod
    def check_credentials(cls, cleaned):
        if cleaned["api_token"] and (cleaned["email"] or cleaned["api_key"]):
            return {"api_token": ["Give an API token, or an email and global API key, not both."]}
        if cleaned["api_token"]:
            return {}
        errors = {}
        for name in ("email", "api_key"):
            if not cleaned[name]:
                errors[name] = ["Required when no API token is given."]
        return errors

    def __init__(self, credentials):
        super().__init__(credentials)
        if self.credentials.get("api_token"):
            headers = {"Authorization": f"Bearer {self.credentials['api_token']}"}
        else:
            headers = {
                "X-Auth-Email": self.credentials.get("email", ""),
                "X-Auth-Key": self.credentials.get("api_key", ""),
            }
        self.api = JsonApiClient(
            self.label,
            endpoint("cloudflare", API_URL),
            headers=headers,
            describe_error=describe_error,
        )

    def _zones(self) -> dict[str, str]:
        """Zone name -> zone ID, every page."""
        zones, page = {}, 1
        while True:
            body = self.api.request(
                "GET", "/zones", params={"page": page, "per_page": PAGE_SIZE}
            ).json()
            zones.update({normalize_name(zone["name"]): zone["id"] for zone in body["result"]})
            if page >= body["result_info"]["total_pages"]:
                return zones
            page += 1

    def list_zones(self) -> list[str]:
        return list(self._zones())

    def _zone_id(self, fqdn: str) -> str:
        zones = self._zones()
        return zones[self.zone_among(fqdn, zones)]

    def _records_with_value(self, zone_id: str, fqdn: str, value: str) -> list[str]:
        body = self.api.request(
            "GET",
            f"/zones/{zone_id}/dns_records",
            params={"type": "TXT", "name": fqdn, "per_page": 100},
        ).json()
        # Cloudflare may hand TXT content back wrapped in quotes.
        return [record["id"] for record in body["result"] if record["content"].strip('"') == value]

    def add_txt(self, fqdn: str, value: str) -> None:
        fqdn = normalize_name(fqdn)
        zone_id = self._zone_id(fqdn)
        if self._records_with_value(zone_id, fqdn, value):
            return
        self.api.request(
            "POST",
            f"/zones/{zone_id}/dns_records",
            json={"type": "TXT", "name": fqdn, "content": value, "ttl": TXT_TTL_SECONDS},
        )

    def remove_txt(self, fqdn: str, value: str) -> None:
        fqdn = normalize_name(fqdn)
        zone_id = self._zone_id(fqdn)
        for record_id in self._records_with_value(zone_id, fqdn, value):
            self.api.request("DELETE", f"/zones/{zone_id}/dns_records/{record_id}")

    def test(self) -> str:
        if self.credentials.get("api_token"):
            status = self.api.request("GET", "/user/tokens/verify").json()["result"]["status"]
            if status != "active":
                raise self.error(
                    f"the API token is {status}; create an active token", permanent=True
                )
        else:
            self.api.request("GET", "/user")
        return f"credentials accepted; {len(self._zones())} zone(s) visible"
