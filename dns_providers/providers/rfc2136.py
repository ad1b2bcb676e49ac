"""RFC 2136 dynamic updates signed with TSIG (BIND, PowerDNS, Knot...), docs/features.md D5.

Global configuration: one key serves every zone, and the zone of a name is found by
asking the server for the name's SOA, unless a zone is given.
"""

import logging
import socket

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from dns_providers.errors import ZoneNotFoundError
from dns_providers.providers.base import (
    CHALLENGE_TTL_SECONDS,
    CredentialField,
    DnsProvider,
    longest_matching_zone,
    normalize_name,
)
from dns_providers.providers.fields import (
    NAME_MAX_LENGTH,
    SECRET_MAX_LENGTH,
    base64_text,
    dns_zone_name,
    host_name_or_ip_address,
    port_number,
    tsig_key_name,
)

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
ALGORITHMS = {
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
    "hmac-md5": dns.tsig.HMAC_MD5,
}
WEAK_ALGORITHM = "hmac-md5"
MD5_WARNING = "hmac-md5 is weak: use hmac-sha256 or stronger as soon as the server allows"


class Rfc2136Provider(DnsProvider):
    code = "rfc2136"
    label = "RFC 2136"
    propagation_poll_seconds = 2  # our own servers: primaries answer at once
    fields = (
        CredentialField(
            "server",
            "Server host or IP address",
            max_length=NAME_MAX_LENGTH + 1,  # a name may end with its dot
            format=host_name_or_ip_address,
        ),
        CredentialField("port", "Port", max_length=5, format=port_number, default="53"),
        CredentialField(
            "key_name", "TSIG key name", max_length=NAME_MAX_LENGTH + 1, format=tsig_key_name
        ),
        CredentialField(
            "key_secret",
            "TSIG key secret (base64)",
            max_length=SECRET_MAX_LENGTH,
            format=base64_text,
            secret=True,
        ),
        CredentialField(
            "algorithm",
            "TSIG algorithm",
            max_length=max(len(name) for name in ALGORITHMS),
            choices=tuple((name, name) for name in ALGORITHMS),
            default="hmac-sha256",
            help="hmac-md5 only if the server accepts nothing stronger.",
        ),
        CredentialField(
            "zone",
            "Zone",
            max_length=NAME_MAX_LENGTH + 1,
            format=dns_zone_name,
            required=False,
            help="Leave blank: the zone of each name is found from its SOA on the server.",
        ),
    )

    @property
    def server_address(self) -> str:
        host = self.credentials["server"]
        try:
            return str(socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)[0][4][0])
        except OSError:
            raise self.error(
                f"cannot resolve the server name {host}; check the server setting",
                permanent=True,
            ) from None

    def _keyring(self):
        return dns.tsigkeyring.from_text(
            {self.credentials["key_name"]: self.credentials["key_secret"]}
        )

    def _algorithm(self) -> dns.name.Name:
        algorithm = self.credentials.get("algorithm") or "hmac-sha256"
        if algorithm == WEAK_ALGORITHM:
            logger.warning("RFC 2136 account uses %s", MD5_WARNING)
        return ALGORITHMS[algorithm]

    def _send(self, message: dns.message.Message) -> dns.message.Message:
        where = f"{self.credentials['server']}:{self.credentials['port']}"
        try:
            return dns.query.tcp(
                message,
                self.server_address,
                port=int(self.credentials["port"]),
                timeout=TIMEOUT_SECONDS,
            )
        except dns.tsig.PeerError as error:
            raise self.error(
                f"{where} rejected the TSIG key ({type(error).__name__}); check the key "
                "name, secret and algorithm",
                permanent=True,
            ) from None
        except (dns.exception.Timeout, OSError) as error:
            raise self.no_answer(where, error, "check server and port") from None
        except dns.exception.DNSException as error:
            raise self.error(f"bad answer from {where}: {error}", permanent=False) from None

    def _signed_query(self, name: str, rdtype: str) -> dns.message.Message:
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        query.use_tsig(self._keyring(), algorithm=self._algorithm())
        return self._send(query)

    def _update(self, fqdn: str, change) -> None:
        zone = self.find_zone(fqdn)
        update = dns.update.UpdateMessage(
            zone, keyring=self._keyring(), keyalgorithm=self._algorithm()
        )
        change(update, dns.name.from_text(normalize_name(fqdn)))
        rcode = self._send(update).rcode()
        if rcode == dns.rcode.NOERROR:
            return
        text = dns.rcode.to_text(rcode)
        raise self.error(
            f"update of {normalize_name(fqdn)} in zone {zone} answered {text}; check that "
            "the key may update TXT records in that zone",
            permanent=rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH, dns.rcode.NOTZONE),
        )

    def find_zone(self, fqdn: str) -> str:
        name = normalize_name(fqdn)
        if self.credentials.get("zone"):
            zone = longest_matching_zone(name, [self.credentials["zone"]])
            if zone is None:
                raise ZoneNotFoundError(
                    f"{self.label}: {name} is not in the account's zone "
                    f"{self.credentials['zone']}; clear the zone to use every zone"
                )
            return zone
        answer = self._signed_query(name, "SOA")
        for rrset in (*answer.answer, *answer.authority):
            # A server that also serves the root answers with the root's SOA: no zone of
            # a certificate name is the root itself.
            if rrset.rdtype == dns.rdatatype.SOA and rrset.name != dns.name.root:
                return normalize_name(rrset.name.to_text())
        raise ZoneNotFoundError(
            f"{self.label}: {self.credentials['server']} serves no zone containing {name} "
            f"(answered {dns.rcode.to_text(answer.rcode())}); add the zone or set the "
            "account's zone"
        )

    def add_txt(self, fqdn: str, value: str) -> None:
        self._update(
            fqdn,
            lambda update, name: update.add(name, CHALLENGE_TTL_SECONDS, "TXT", _quoted(value)),
        )

    def remove_txt(self, fqdn: str, value: str) -> None:
        # Deleting a record that is not there is a no-op for the server (RFC 2136 3.4.2.4).
        self._update(fqdn, lambda update, name: update.delete(name, "TXT", _quoted(value)))

    def test(self) -> str:
        """A TSIG-signed SOA query: the server checks the signature and signs its answer,
        which dnspython verifies, so name, secret and algorithm are proven; nothing is
        changed. With a zone set, the server must also serve that zone."""
        zone = self.credentials.get("zone") or "."
        answer = self._signed_query(zone, "SOA")
        served = any(rrset.rdtype == dns.rdatatype.SOA for rrset in answer.answer)
        if self.credentials.get("zone") and not served:
            raise self.error(
                f"{self.credentials['server']} does not serve the zone {zone}; check the zone",
                permanent=True,
            )
        message = (
            f"{self.credentials['server']} accepted the TSIG key {self.credentials['key_name']}"
        )
        if self.credentials.get("algorithm") == WEAK_ALGORITHM:
            message += f". Warning: {MD5_WARNING}"
        return message


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
