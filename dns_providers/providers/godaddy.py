"""GoDaddy Domains API v1 (docs/features.md D6): API key + secret, `Authorization: sso-key K:S`.

GoDaddy sets all TXT values of a name at once (PUT replaces the list), so adding and
removing read the list first and write it back with only our value changed.

GoDaddy has no conditional write (no ETag, no version), so two writers at one name (a
wildcard and its base name, or two requests) can each PUT a list read before the other's
PUT, and one value is lost. After each write we therefore wait a moment, read the list
again, and write again if our change was undone, a bounded number of times with a
growing, jittered wait. This narrows the race but cannot close it: a writer whose GET
and PUT are further apart than our wait can still undo our change after we looked (its
own check only looks for its own value); the ACME validation of that name then fails,
and the request can be retried.
"""

import random
import time

import requests

from dns_providers.errors import DnsProviderError
from dns_providers.providers.base import (
    CredentialField,
    DnsProvider,
    RewritesTxtSet,
    normalize_name,
    relative_name,
)
from dns_providers.providers.fields import api_token, secret_api_token
from dns_providers.providers.http import JsonApiClient, endpoint

API_URL = "https://api.godaddy.com"
PAGE_SIZE = 100
TXT_TTL_SECONDS = 600  # GoDaddy's minimum
# Writes of one change before giving up on a list that keeps changing.
WRITE_ATTEMPTS = 4
# The wait before reading back after a write: longer than another writer's GET-then-PUT
# round trip, doubled after each write, and jittered (0.5x to 1.5x) so that writers
# who collided once do not collide again in step.
SETTLE_SECONDS = 1.0


def describe_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    text = f"{body.get('code', '')}: {body.get('message', '')}"
    if body.get("code") == "ACCESS_DENIED":
        text += " (GoDaddy opens its DNS API only to some accounts)"
    return text


class GoDaddyProvider(RewritesTxtSet, DnsProvider):
    code = "godaddy"
    label = "GoDaddy"
    # GoDaddy's nameservers are known to take many minutes to serve a new record.
    propagation_poll_seconds = 30
    propagation_timeout_seconds = 1800
    fields = (
        CredentialField("api_key", "API key", max_length=255, format=api_token),
        secret_api_token("api_secret", "API secret"),
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
            return
        try:
            self.api.request("DELETE", path)
        except DnsProviderError:
            # A 404 when another writer deleted the list first: nothing left to do.
            if self._values(path):
                raise

    def _rewrite(self, fqdn: str, change) -> None:
        """Read the TXT list at `fqdn`, let `change(values)` return the new values (or
        None for "nothing to do") and write them; then, after a wait, read the list back
        and write again if a concurrent writer undid the change."""
        path = self._records_path(fqdn)
        for attempt in range(WRITE_ATTEMPTS):
            wanted = change(self._values(path))
            if wanted is None:
                return
            self._write(path, wanted)
            jitter = random.uniform(0.5, 1.5)  # noqa: S311 - spreads retries, not a secret
            time.sleep(SETTLE_SECONDS * 2**attempt * jitter)
        if change(self._values(path)) is not None:
            raise self.error(
                f"the TXT records at {normalize_name(fqdn)} kept changing while certlife "
                "wrote them; try again",
                permanent=False,
            )

    def test(self) -> str:
        domains = self.api.request("GET", "/v1/domains", params={"limit": 1}).json()
        return f"API key accepted; {'domains' if domains else 'no domain'} visible"
