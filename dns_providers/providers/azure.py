"""Azure DNS through azure-identity and azure-mgmt-dns (docs/features.md D2): a service principal
(tenant ID, client ID, client secret) with the DNS Zone Contributor role on the
resource group that holds the zones.

Azure keeps all TXT values of a name in one record set, written whole. Adding or
removing one value therefore reads the set and writes it back with If-Match on the
ETag it read (If-None-Match: * when creating it), so a concurrent writer's value is
never lost: a 412 means "changed since read", and the read-modify-write starts over.
"""

import re

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.identity import ClientSecretCredential
from azure.mgmt.dns import DnsManagementClient
from azure.mgmt.dns.models import RecordSet, TxtRecord
from django.conf import settings

from certlife.retry import is_temporary_status, parse_retry_after
from dns_providers.errors import DnsProviderError
from dns_providers.providers import http
from dns_providers.providers.base import (
    CHALLENGE_TTL_SECONDS,
    CredentialField,
    DnsProvider,
    RewritesTxtSet,
    normalize_name,
    relative_name,
)
from dns_providers.providers.fields import pattern_format, secret_api_token, uuid_text
from dns_providers.providers.http import TIMEOUT_SECONDS, endpoint, outbound_proxies

AUTHORITY_URL = "https://login.microsoftonline.com"
MANAGEMENT_URL = "https://management.azure.com"
RECORD_TYPE = "TXT"
# Read-modify-write rounds before giving up on a record set that keeps changing.
WRITE_ATTEMPTS = 4
ROLE_HINT = "give the application the DNS Zone Contributor role on the resource group"
# Azure's naming rules: 1 to 90 letters, digits, underscores, parentheses, hyphens and
# periods (Unicode letters and digits too), not ending with a period.
RESOURCE_GROUP_NAME = pattern_format(
    r"[\w().-]{0,89}[\w()-]",
    "1 to 90 letters, digits, underscores, parentheses, hyphens and periods, not ending "
    "with a period.",
    flags=0,
)
AAD_MESSAGE = re.compile(r"AADSTS\d+: [^\r\n]*?(?:\.|$)", re.MULTILINE)


class AzureDnsProvider(RewritesTxtSet, DnsProvider):
    code = "azure"
    label = "Azure DNS"
    fields = (
        CredentialField("subscription_id", "Subscription ID", max_length=36, format=uuid_text),
        CredentialField("tenant_id", "Directory (tenant) ID", max_length=36, format=uuid_text),
        CredentialField("client_id", "Application (client) ID", max_length=36, format=uuid_text),
        secret_api_token("client_secret", "Application key (client secret)"),
        CredentialField(
            "resource_group",
            "Resource group",
            max_length=90,
            format=RESOURCE_GROUP_NAME,
            help="The resource group holding the DNS zones.",
        ),
    )

    def __init__(self, credentials):
        super().__init__(credentials)
        self.resource_group = self.credentials.get("resource_group", "")
        management_url = endpoint("azure_management", MANAGEMENT_URL)
        transport = {
            # The private CA of a sovereign or test cloud, as for every other HTTPS call.
            "connection_verify": settings.REQUESTS_CA_BUNDLE or True,
            "connection_timeout": TIMEOUT_SECONDS[0],
            "read_timeout": TIMEOUT_SECONDS[1],
            # No retry inside a retry: certlife.retry (through `_call`) alone retries.
            "retry_total": 0,
        }
        if outbound_proxies():
            transport["proxies"] = outbound_proxies()
        credential = ClientSecretCredential(
            self.credentials.get("tenant_id", ""),
            self.credentials.get("client_id", ""),
            self.credentials.get("client_secret", ""),
            authority=endpoint("azure_authority", AUTHORITY_URL),
            # Instance discovery asks login.microsoftonline.com to vouch for the
            # authority; a sovereign or test authority is configured on purpose.
            disable_instance_discovery=endpoint("azure_authority", AUTHORITY_URL) != AUTHORITY_URL,
            **transport,
        )
        self.client = DnsManagementClient(
            credential,
            self.credentials.get("subscription_id", ""),
            base_url=management_url,
            credential_scopes=[f"{management_url}/.default"],
            **transport,
        )

    def _call(self, operation, *args, **kwargs):
        """`operation(...)`, retried on temporary failures within http.RETRY_POLICY;
        Azure's errors become DnsProviderError."""
        return http.with_retries(lambda: self._call_once(operation, *args, **kwargs))

    def _call_once(self, operation, *args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except AzureError as error:
            failure = self._mapped(error)
            response = getattr(error, "response", None)
            if response is not None:
                failure.retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise failure from None

    def _mapped(self, error: AzureError) -> DnsProviderError:
        if isinstance(error, ClientAuthenticationError):
            detail = _aad_message(str(error)) or _arm_message(error) or "authentication failed"
            if "authority configuration" in str(error):  # MSAL: the tenant has no metadata
                detail = f"the directory (tenant) ID {self.credentials.get('tenant_id')} is unknown"
            return self.error(
                f"{detail} (check the tenant ID, client ID and client secret, and that the "
                "secret has not expired)",
                permanent=True,
            )
        if isinstance(error, ServiceRequestError | ServiceResponseError):
            return self.no_answer("Azure", error, "check the network or the HTTPS proxy")
        status = getattr(error, "status_code", None) or 0
        detail = _arm_message(error) or type(error).__name__
        if status == 403:
            return self.error(f"{detail} ({ROLE_HINT})", permanent=True)
        if isinstance(error, ResourceNotFoundError):
            return self.error(
                f"{detail} (check the subscription ID and the resource group)", permanent=True
            )
        temporary = is_temporary_status(status)
        hint = "try again later" if temporary else "the request was refused"
        return self.error(f"HTTP {status}: {detail} ({hint})", permanent=not temporary)

    def list_zones(self) -> list[str]:
        def names():  # the pager calls the API while it is iterated
            zones = self.client.zones.list_by_resource_group(self.resource_group)
            return [normalize_name(zone.name) for zone in zones]

        return self._call(names)

    def _read_set(self, zone: str, relative: str) -> RecordSet | None:
        def read():
            try:
                return self.client.record_sets.get(self.resource_group, zone, relative, RECORD_TYPE)
            except ResourceNotFoundError:
                return None

        return self._call(read)

    def _rewrite(self, fqdn: str, change) -> None:
        """Read the TXT set at `fqdn`, let `change(values)` return the new values (or
        None for "nothing to do"), write them with the ETag read; again on a 412."""
        zone = self.find_zone(fqdn)
        relative = relative_name(fqdn, zone)
        for _ in range(WRITE_ATTEMPTS):
            current = self._read_set(zone, relative)
            values = _values(current)
            wanted = change(values)
            if wanted is None:
                return
            if self._call(self._write, zone, relative, current, wanted):
                return
        raise self.error(
            f"the TXT record set {normalize_name(fqdn)} kept changing while certlife wrote "
            "it; try again",
            permanent=False,
        )

    def _write(
        self, zone: str, relative: str, current: RecordSet | None, values: list[str]
    ) -> bool:
        """Whether the write took; False on a 412 (the set changed since it was read)."""
        try:
            self._write_once(zone, relative, current, values)
        except HttpResponseError as error:
            if error.status_code == 412:
                return False
            raise
        return True

    def _write_once(self, zone: str, relative: str, current: RecordSet | None, values):
        record_sets = self.client.record_sets
        if current is None:
            record_set = RecordSet(
                ttl=CHALLENGE_TTL_SECONDS, txt_records=[TxtRecord(value=_chunks(v)) for v in values]
            )
            record_sets.create_or_update(
                self.resource_group, zone, relative, RECORD_TYPE, record_set, if_none_match="*"
            )
        elif values:
            current.txt_records = [TxtRecord(value=_chunks(value)) for value in values]
            record_sets.create_or_update(
                self.resource_group, zone, relative, RECORD_TYPE, current, if_match=current.etag
            )
        else:
            record_sets.delete(
                self.resource_group, zone, relative, RECORD_TYPE, if_match=current.etag
            )

    def test(self) -> str:
        count = len(self.list_zones())
        return (
            f"service principal accepted; {count} zone(s) visible in resource group "
            f"{self.resource_group}"
        )


def _values(record_set: RecordSet | None) -> list[str]:
    """The TXT values of a set, each joined from its <= 255-character strings."""
    if record_set is None:
        return []
    return ["".join(record.value or []) for record in record_set.txt_records or []]


def _chunks(value: str) -> list[str]:
    return [value[start : start + 255] for start in range(0, len(value), 255)] or [""]


def _aad_message(text: str) -> str:
    """The "AADSTS7000215: Invalid client secret provided." part of a token error."""
    match = AAD_MESSAGE.search(text)
    return match.group(0).strip() if match else ""


def _arm_message(error: AzureError) -> str:
    """ARM's `{"error": {"code", "message"}}`, as azure-core parsed it."""
    odata = getattr(error, "error", None)
    if odata is not None and getattr(odata, "code", None):
        return f"{odata.code}: {odata.message}"
    return ""
