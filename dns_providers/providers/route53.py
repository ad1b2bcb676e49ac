"""Amazon Route 53 through boto3 (spec D4)."""

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
from dns_providers.providers.fields import SECRET_MAX_LENGTH, api_token, pattern_format
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
        CredentialField(
            "secret_access_key",
            "Secret access key",
            max_length=SECRET_MAX_LENGTH,
            format=api_token,
            secret=True,
        ),
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
            raise self.error(
                f"no answer from the Route 53 API ({type(error).__name__}); check the "
                "network or the HTTPS proxy",
                permanent=False,
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

    def _change(self, zone_id: str, action: str, fqdn: str, values: list[str], ttl: int):
        record_set = {
            "Name": fqdn,
            "Type": "TXT",
            "TTL": ttl,
            "ResourceRecords": [{"Value": value} for value in values],
        }
        self._call(
            "change_resource_record_sets",
            HostedZoneId=zone_id,
            ChangeBatch={
                "Comment": "certlife ACME challenge",
                "Changes": [{"Action": action, "ResourceRecordSet": record_set}],
            },
        )

    def add_txt(self, fqdn: str, value: str) -> None:
        fqdn = normalize_name(fqdn)
        zone_id = self._zone_id(fqdn)
        values, ttl = self._current_txt(zone_id, fqdn)
        if _quoted(value) not in values:
            self._change(zone_id, "UPSERT", fqdn, [*values, _quoted(value)], ttl)

    def remove_txt(self, fqdn: str, value: str) -> None:
        fqdn = normalize_name(fqdn)
        zone_id = self._zone_id(fqdn)
        values, ttl = self._current_txt(zone_id, fqdn)
        if _quoted(value) not in values:
            return
        remaining = [other for other in values if other != _quoted(value)]
        if remaining:
            self._change(zone_id, "UPSERT", fqdn, remaining, ttl)
        else:
            # A DELETE must repeat the set exactly as it stands.
            self._change(zone_id, "DELETE", fqdn, values, ttl)

    def test(self) -> str:
        """STS GetCallerIdentity proves the key pair (it needs no permission); the zone
        count proves Route 53 access. Both only read."""
        self._call("get_caller_identity", client=self.sts)
        count = self._call("get_hosted_zone_count")["HostedZoneCount"]
        return f"access key accepted; {count} hosted zone(s) visible"


def _quoted(value: str) -> str:
    return f'"{value}"'
