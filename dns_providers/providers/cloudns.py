"""ClouDNS HTTP API (docs/features.md D7): one of auth-id, sub-auth-id or sub-auth-user, plus the
auth password.

Every call is a form POST to https://api.cloudns.net/dns/<call>.json with the
credentials among the parameters (in the body, so they never appear in a URL or a
proxy log). ClouDNS answers failures with HTTP 200 and
`{"status": "Failed", "statusDescription": ...}`, so the body decides, not the status.
One TXT value is one record with its own ID; a name's other values are other records.
"""

import requests

from dns_providers.errors import DnsProviderError
from dns_providers.providers import http
from dns_providers.providers.base import CredentialField, DnsProvider, normalize_name, relative_name
from dns_providers.providers.fields import SECRET_MAX_LENGTH, ascii_digits
from dns_providers.providers.http import JsonApiClient, endpoint

API_URL = "https://api.cloudns.net"
PAGE_SIZE = 100  # the largest rows-per-page ClouDNS accepts (10, 20, 30, 50 or 100)
TXT_TTL_SECONDS = 60  # the smallest TTL ClouDNS accepts
LOGIN_FIELDS = ("auth_id", "sub_auth_id", "sub_auth_user")
# The API parameter for each way to log in.
LOGIN_PARAMETERS = {
    "auth_id": "auth-id",
    "sub_auth_id": "sub-auth-id",
    "sub_auth_user": "sub-auth-user",
}
# Failures worth trying again: the per-IP rate limit ("Request blocked. <ip> is sending
# more than 20 requests per second.") and ClouDNS's own "... is failed." server errors.
TEMPORARY_FAILURES = ("request blocked", "rate limit", "too many requests", " is failed")
CREDENTIAL_FAILURES = ("invalid authentication", "missing required parameter 'auth-id'")


def status_description(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("statusDescription", "") if isinstance(body, dict) else ""


def is_failure(body) -> bool:
    return isinstance(body, dict) and body.get("status") == "Failed"


class ClouDnsProvider(DnsProvider):
    code = "cloudns"
    label = "ClouDNS"
    propagation_poll_seconds = 15
    propagation_timeout_seconds = 1200
    fields = (
        CredentialField(
            "auth_id",
            "Auth ID",
            max_length=20,
            format=ascii_digits,
            required=False,
            help="The ID of an API user. Give exactly one of auth ID, sub-auth ID and "
            "sub-auth user.",
        ),
        CredentialField(
            "sub_auth_id", "Sub-auth ID", max_length=20, format=ascii_digits, required=False
        ),
        CredentialField("sub_auth_user", "Sub-auth user", max_length=255, required=False),
        CredentialField(
            "auth_password", "Auth password", max_length=SECRET_MAX_LENGTH, secret=True
        ),
    )

    @classmethod
    def check_credentials(cls, cleaned):
        given = [name for name in LOGIN_FIELDS if cleaned[name]]
        if len(given) != 1:
            message = "Give exactly one of auth ID, sub-auth ID and sub-auth user."
            return {name: [message] for name in (given or LOGIN_FIELDS)}
        return {}

    def __init__(self, credentials):
        super().__init__(credentials)
        self.api = JsonApiClient(
            self.label,
            endpoint("cloudns", API_URL),
            headers={"Accept": "application/json"},
            describe_error=status_description,
        )

    def _login_parameters(self) -> dict[str, str]:
        name = next((name for name in LOGIN_FIELDS if self.credentials.get(name)), "auth_id")
        return {
            LOGIN_PARAMETERS[name]: self.credentials.get(name, ""),
            "auth-password": self.credentials.get("auth_password", ""),
        }

    def call(self, name: str, **parameters):
        """The JSON answer of /dns/<name>.json; a "Failed" answer becomes
        DnsProviderError; HTTP failures and temporary "Failed" answers are retried in
        one loop (`http.with_retries`), so a call makes at most RETRY_POLICY's attempts."""
        data = {**parameters, **self._login_parameters()}
        return http.with_retries(lambda: self._call_once(name, data))

    def _call_once(self, name: str, data: dict[str, str]):
        body = self.api.request_once("POST", f"/dns/{name}.json", data=data).json()
        if is_failure(body):
            raise self._failure(name, body.get("statusDescription", ""))
        return body

    def _failure(self, name: str, description: str) -> DnsProviderError:
        lowered = description.lower()
        if any(words in lowered for words in CREDENTIAL_FAILURES):
            return self.error(
                f"{description} Check the auth ID (or sub-auth ID or user), the password, "
                "and the API user's allowed IP addresses.",
                permanent=True,
            )
        temporary = any(words in lowered for words in TEMPORARY_FAILURES)
        hint = "try again later" if temporary else f"{name} was refused"
        return self.error(f"{description or 'no reason given'} ({hint})", permanent=not temporary)

    def list_zones(self) -> list[str]:
        zones, page = [], 1
        while True:
            body = self.call("list-zones", page=page, **{"rows-per-page": PAGE_SIZE})
            # An empty page is [] (or {} on some accounts).
            rows = body if isinstance(body, list) else []
            zones += [normalize_name(row["name"]) for row in rows]
            if len(rows) < PAGE_SIZE:
                return zones
            page += 1

    def _record_ids(self, zone: str, host: str, value: str) -> list[str]:
        body = self.call("records", **{"domain-name": zone, "host": host, "type": "TXT"})
        # An object keyed by record ID, or [] when nothing matches.
        records = body.values() if isinstance(body, dict) else []
        return [
            str(record["id"])
            for record in records
            if record.get("type") == "TXT"
            and record.get("host") == host
            and record.get("record") == value
        ]

    def _zone_and_host(self, fqdn: str) -> tuple[str, str]:
        zone = self.find_zone(fqdn)
        host = relative_name(fqdn, zone)
        return zone, "" if host == "@" else host  # ClouDNS names the apex ""

    def add_txt(self, fqdn: str, value: str) -> None:
        zone, host = self._zone_and_host(fqdn)
        if self._record_ids(zone, host, value):
            return
        self.call(
            "add-record",
            **{
                "domain-name": zone,
                "record-type": "TXT",
                "host": host,
                "record": value,
                "ttl": TXT_TTL_SECONDS,
            },
        )

    def remove_txt(self, fqdn: str, value: str) -> None:
        zone, host = self._zone_and_host(fqdn)
        for record_id in self._record_ids(zone, host, value):
            try:
                self.call("delete-record", **{"domain-name": zone, "record-id": record_id})
            except DnsProviderError as error:
                # Deleted by someone else since we listed it: what we wanted.
                if "invalid record-id" not in error.message.lower():
                    raise

    def test(self) -> str:
        self.call("login")
        return f"credentials accepted; {len(self.list_zones())} zone(s) visible"
