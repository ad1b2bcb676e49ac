"""BIND9 serving the test zones and taking TSIG-signed RFC 2136 updates."""

import base64
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from .process import ServiceProcess, require_binary, start_on_free_ports

NAMED = "/usr/sbin/named"
ZONES = ("example.com", "example.net")
TSIG_KEY_NAME = "certlife-test-key"
# A second key that may update TXT records in MAPPING_KEY_ZONE only: an agent
# mapping's own RFC 2136 credentials (docs/features.md V5).
MAPPING_KEY_NAME = "certlife-mapping-key"
MAPPING_KEY_ZONE = "example.net"
TSIG_ALGORITHM = "hmac-sha256"
TIMEOUT = 5.0

ZONE_TEMPLATE = """\
$TTL 60
@    IN SOA ns1.{zone}. hostmaster.{zone}. 1 60 60 600 60
@    IN NS  ns1.{zone}.
ns1  IN A   127.0.0.1
@    IN A   127.0.0.1
*    IN A   127.0.0.1
; Names whose addresses certlife.outbound refuses (HTTP-01 pre-flight tests).
intranet-site  IN A     10.0.0.1
two-faced      IN A     127.0.0.1
two-faced      IN AAAA  fd00:ec2::254
"""


# BIND is Pebble's resolver, so it recurses (a CA's resolver follows CNAMEs across
# zones, spec V10). It is also authoritative for the root, so recursion never leaves
# this machine: any name outside the test zones is simply NXDOMAIN.
# Its SOA names this instance, so a server of another run on the same port is not
# taken for ours. The NS needs its address here, or named refuses to load the zone.
ROOT_ZONE = """\
$TTL 60
@    IN SOA ns1.example.com. hostmaster-{instance_id}.example.com. 1 60 60 600 60
@    IN NS  ns1.example.com.
ns1.example.com. IN A 127.0.0.1
"""


class DnsUpdateError(Exception):
    pass


@dataclass
class BindDns:
    host: str
    port: int
    tsig_secret: str
    zones: tuple[str, ...] = ZONES
    tsig_key_name: str = TSIG_KEY_NAME
    tsig_algorithm: str = TSIG_ALGORITHM
    mapping_key_secret: str = ""
    mapping_key_name: str = MAPPING_KEY_NAME
    mapping_key_zone: str = MAPPING_KEY_ZONE
    process: ServiceProcess | None = field(default=None, repr=False)

    def zone_of(self, name: str) -> str:
        fqdn = dns.name.from_text(name)
        matches = [zone for zone in self.zones if fqdn.is_subdomain(dns.name.from_text(zone))]
        if not matches:
            raise ValueError(f"{name} is in none of the zones {self.zones}")
        return max(matches, key=len)

    def new_update(self, zone: str, key_name=None, secret=None) -> dns.update.UpdateMessage:
        """An update for `zone` signed with the harness key (or the key given)."""
        keyring = dns.tsigkeyring.from_text(
            {key_name or self.tsig_key_name: secret or self.tsig_secret}
        )
        return dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)

    def send(self, message: dns.message.Message) -> int:
        """Send an update or query over TCP and return the answer's rcode."""
        return dns.query.tcp(message, self.host, port=self.port, timeout=TIMEOUT).rcode()

    def _update(self, name: str, change):
        zone = self.zone_of(name)
        update = self.new_update(zone)
        change(update, dns.name.from_text(name))
        rcode = self.send(update)
        if rcode != dns.rcode.NOERROR:
            raise DnsUpdateError(f"update of {name} in {zone} answered {dns.rcode.to_text(rcode)}")

    def add_record(self, name: str, rtype: str, value: str, ttl: int = 60):
        self._update(name, lambda update, fqdn: update.add(fqdn, ttl, rtype, value))

    def add_txt(self, name: str, value: str, ttl: int = 60):
        self.add_record(name, "TXT", f'"{value}"', ttl)

    def delete_txt(self, name: str, value: str | None = None):
        if value is None:
            self._update(name, lambda update, fqdn: update.delete(fqdn, "TXT"))
        else:
            self._update(name, lambda update, fqdn: update.delete(fqdn, "TXT", f'"{value}"'))

    def query(self, name: str, rtype: str, timeout: float = TIMEOUT) -> list[str]:
        """The records BIND answers for name/rtype; TXT values without their quotes."""
        query = dns.message.make_query(name, rtype)
        answer = dns.query.udp(query, self.host, port=self.port, timeout=timeout)
        if answer.flags & dns.flags.TC:
            answer = dns.query.tcp(query, self.host, port=self.port, timeout=timeout)
        wanted = dns.rdatatype.from_text(rtype)
        values = []
        for rrset in answer.answer:
            if rrset.rdtype != wanted:
                continue
            for rdata in rrset:
                if wanted == dns.rdatatype.TXT:
                    values.append(b"".join(rdata.strings).decode())
                else:
                    values.append(rdata.to_text())
        return values


def start_bind(workdir: Path) -> BindDns:
    require_binary(NAMED, "bind9")
    return start_on_free_ports(lambda ports: _start_bind(Path(workdir), ports[0]), udp_too=True)


def _start_bind(workdir: Path, port: int) -> BindDns:
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    mapping_secret = base64.b64encode(secrets.token_bytes(32)).decode()
    instance_id = secrets.token_hex(8)
    (workdir / "root.zone").write_text(ROOT_ZONE.format(instance_id=instance_id))
    zone_blocks = [f'zone "." {{\n    type primary;\n    file "{workdir}/root.zone";\n}};\n']
    mapping_grant = f"        grant {MAPPING_KEY_NAME} zonesub TXT;\n"
    for zone in ZONES:
        (workdir / f"{zone}.zone").write_text(ZONE_TEMPLATE.format(zone=zone))
        zone_blocks.append(
            f'zone "{zone}" {{\n'
            f'    type primary;\n    file "{workdir}/{zone}.zone";\n'
            f"    update-policy {{\n"
            f"        grant {TSIG_KEY_NAME} zonesub TXT;\n"
            f"        grant {TSIG_KEY_NAME} zonesub CNAME;\n"
            f"        grant {TSIG_KEY_NAME} zonesub CAA;\n"
            f"{mapping_grant if zone == MAPPING_KEY_ZONE else ''}"
            f"    }};\n}};\n"
        )
    conf = workdir / "named.conf"
    conf.write_text(
        f'key "{TSIG_KEY_NAME}" {{ algorithm {TSIG_ALGORITHM}; secret "{secret}"; }};\n'
        f'key "{MAPPING_KEY_NAME}" {{ algorithm {TSIG_ALGORITHM}; secret "{mapping_secret}"; }};\n'
        "options {\n"
        f'    directory "{workdir}";\n'
        f'    pid-file "{workdir}/named.pid";\n'
        f'    session-keyfile "{workdir}/session.key";\n'
        f'    managed-keys-directory "{workdir}";\n'
        f"    listen-on port {port} {{ 127.0.0.1; }};\n"
        "    listen-on-v6 { none; };\n"
        "    recursion yes;\n"
        "    allow-recursion { 127.0.0.1; };\n"
        "    dnssec-validation no;\n"
        "    notify no;\n"
        "};\n"
        "controls { };\n" + "".join(zone_blocks)
    )
    bind = BindDns(
        host="127.0.0.1", port=port, tsig_secret=secret, mapping_key_secret=mapping_secret
    )
    # -n 1: one worker thread is plenty for tests on a small machine.
    bind.process = ServiceProcess(
        "named", [NAMED, "-g", "-n", "1", "-c", str(conf)], workdir / "named.log"
    ).start()

    def is_ready() -> bool:
        ours = f" hostmaster-{instance_id}." in bind.query(".", "SOA", timeout=0.5)[0]
        return ours and all(bind.query(zone, "SOA", timeout=0.5) for zone in ZONES)

    bind.process.wait_ready(is_ready)
    return bind
