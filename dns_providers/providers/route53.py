"""Amazon Route 53 through boto3 (docs/features.md D4).

Route 53 keeps all TXT values of a name in one record set, written whole. Adding or
removing one value reads the set, then sends one change batch that DELETEs the set
exactly as read (same TTL and values) and CREATEs the new one. Route 53 applies a batch
atomically and refuses it (InvalidChangeBatch) when the DELETE no longer matches, or the
CREATE finds a set that another writer created meanwhile; then the set is read again and
the change made again, so a concurrent writer's value is never lost.
"""

import boto3
import botocore.config
import botocore.exceptions

from dns_providers.errors import DnsProviderError
from dns_providers.providers.base import (
    CHALLENGE_TTL_SECONDS,
    CredentialField,
    DnsProvider,
    normalize_name,
)
from dns_providers.providers.fields import pattern_format, secret_api_token
from dns_providers.providers.http import TIMEOUT_SECONDS, endpoint, outbound_proxies

CREDENTIAL_ERRORS = {
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "IncompleteSignature",
}
TEMPORARY_ERRORS = {
    "Throttling",
    "ThrottlingException",
    "PriorRequestNotComplete",
    "ServiceUnavailable",
}
# Read-and-write rounds before giving up on a record set that keeps changing. Each
# refused round means another writer's batch was applied, so a few are plenty.
WRITE_ATTEMPTS = 4


class ChangeBatchRefused(DnsProviderError):
    """InvalidChangeBatch: usually the record set changed since it was read."""

    def __init__(self, provider_label: str, reason: str):
        super().__init__(f"{provider_label}: {reason}", permanent=True)
        self.reason = reason


class Route53Provider(DnsProvider):
    code = "route53"
    label = "Amazon Route 53"
    fields = (
        CredentialField(
            "access_key_id",
            "Access key ID",
            max_length=128,
            # IAM's AccessKey: 16 to 128 word characters (AKIA... in practice).
            format=pattern_format(
                r"\w{16,128}", "16 to 128 letters, digits or underscores, like AKIA..."
            ),
        ),
        secret_api_token("secret_access_key", "Secret access key"),
    )

    def __init__(self, credentials):
        super().__init__(credentials)
        # botocore's own "standard" retry mode already backs off on throttling, 5xx
        # and time-outs (four attempts); errors left after it are mapped below.
        config = botocore.config.Config(
            connect_timeout=TIMEOUT_SECONDS[0],
            read_timeout=TIMEOUT_SECONDS[1],
            retries={"mode": "standard", "max_attempts": 4},
            proxies=outbound_proxies(),
        )
        session = boto3.session.Session(
            aws_access_key_id=self.credentials["access_key_id"],
            aws_secret_access_key=self.credentials["secret_access_key"],
            region_name="us-east-1",
        )
        self.client = session.client(
            "route53", endpoint_url=endpoint("route53", "") or None, config=config
        )
        self.sts = session.client("sts", endpoint_url=endpoint("sts", "") or None, config=config)

    def _call(self, operation: str, *, client=None, **params) -> dict:
        try:
            return getattr(client or self.client, operation)(**params)
        except botocore.exceptions.ClientError as error:
            raise self._mapped(error) from None
        except botocore.exceptions.BotoCoreError as error:
            raise self.no_answer(
                "the Route 53 API", error, "check the network or the HTTPS proxy"
            ) from None

    def _mapped(self, error: botocore.exceptions.ClientError) -> DnsProviderError:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in CREDENTIAL_ERRORS:
            return self.error(
                f"{code}: the access key was refused; check the access key ID, the secret "
                "and the IAM policy (route53:ListHostedZones, ListResourceRecordSets, "
                "ChangeResourceRecordSets)",
                permanent=True,
            )
        if code == "InvalidChangeBatch":
            return ChangeBatchRefused(self.label, f"{code}: {message}")
        temporary = code in TEMPORARY_ERRORS or status >= 500
        return self.error(f"{code}: {message}", permanent=not temporary)

    def _hosted_zones(self) -> dict[str, str]:
        """Public zone name -> hosted zone ID."""
        zones, marker = {}, None
        while True:
            page = self._call("list_hosted_zones", **({"Marker": marker} if marker else {}))
            for zone in page["HostedZones"]:
                if not zone.get("Config", {}).get("PrivateZone"):
                    zones[normalize_name(zone["Name"])] = zone["Id"].split("/")[-1]
            if not page.get("IsTruncated"):
                return zones
            marker = page["NextMarker"]

    def list_zones(self) -> list[str]:
        return list(self._hosted_zones())

    def _zone_id(self, fqdn: str) -> str:
        zones = self._hosted_zones()
        return zones[self.zone_among(fqdn, zones)]

    def _current_txt(self, zone_id: str, fqdn: str) -> tuple[list[str], int]:
        """The quoted values of the TXT set at fqdn and its TTL ([] when absent)."""
        page = self._call(
            "list_resource_record_sets",
            HostedZoneId=zone_id,
            StartRecordName=fqdn,
            StartRecordType="TXT",
            MaxItems="1",
        )
        for record_set in page["ResourceRecordSets"]:
            if normalize_name(record_set["Name"]) == fqdn and record_set["Type"] == "TXT":
                values = [record["Value"] for record in record_set["ResourceRecords"]]
                return values, record_set["TTL"]
        return [], CHALLENGE_TTL_SECONDS

    def _replace(self, zone_id: str, fqdn: str, current: list[str], ttl: int, wanted: list[str]):
        """One change batch: DELETE the set exactly as read (if any), CREATE the wanted
        one (if any values remain)."""
        changes = []
        if current:
            changes.append(("DELETE", current))
        if wanted:
            changes.append(("CREATE", wanted))
        self._call(
            "change_resource_record_sets",
            HostedZoneId=zone_id,
            ChangeBatch={
                "Comment": "certlife ACME challenge",
                "Changes": [
                    {
                        "Action": action,
                        "ResourceRecordSet": {
                            "Name": fqdn,
                            "Type": "TXT",
                            "TTL": ttl,
                            "ResourceRecords": [{"Value": value} for value in values],
                        },
                    }
                    for action, values in changes
                ],
            },
        )

    def _rewrite(self, fqdn: str, change) -> None:
        """Read the TXT set at `fqdn`, let `change(values)` return the new values (or None
        for "nothing to do") and write them in place of the set read; again when Route 53
        refuses because the set changed in between."""
        fqdn = normalize_name(fqdn)
        zone_id = self._zone_id(fqdn)
        refusal = ""
        for _ in range(WRITE_ATTEMPTS):
            current, ttl = self._current_txt(zone_id, fqdn)
            wanted = change(current)
            if wanted is None:
                return
            try:
                self._replace(zone_id, fqdn, current, ttl, wanted)
                return
            except ChangeBatchRefused as error:
                refusal = error.reason
        raise self.error(
            f"the TXT record set {fqdn} kept changing while certlife wrote it (last "
            f"answer: {refusal}); try again",
            permanent=False,
        )

    def add_txt(self, fqdn: str, value: str) -> None:
        self._rewrite(
            fqdn, lambda values: None if _quoted(value) in values else [*values, _quoted(value)]
        )

    def remove_txt(self, fqdn: str, value: str) -> None:
        self._rewrite(
            fqdn,
            lambda values: (
                [other for other in values if other != _quoted(value)]
                if _quoted(value) in values
                else None
            ),
        )

    def test(self) -> str:
        """STS GetCallerIdentity proves the key pair (it needs no permission); the zone
        count proves Route 53 access. Both only read."""
        self._call("get_caller_identity", client=self.sts)
        count = self._call("get_hosted_zone_count")["HostedZoneCount"]
        return f"access key accepted; {count} hosted zone(s) visible"


def _quoted(value: str) -> str:
    return f'"{value}"'
