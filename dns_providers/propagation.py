"""Is a TXT record visible on every authoritative nameserver of its zone (spec V9)?

The zone is found by asking the resolver (CERTLIFE_DNS_RESOLVER, else the system's)
for the name's SOA after following CNAMEs; its NS records name the servers, which are
then asked directly, without recursion, on CERTLIFE_DNS_AUTHORITATIVE_PORT (53 unless
a test points it at a BIND on a high port). Asking the authoritative servers, not a
cache, is what the CA will effectively see (lego and cert-manager do the same).
"""

import enum
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dns_providers.errors import DnsLookupError
from dns_providers.providers.base import normalize_name

QUERY_TIMEOUT_SECONDS = 5.0
MAX_CNAME_HOPS = 8
DEFAULT_TIMEOUT_SECONDS = 600
DEFAULT_INTERVAL_SECONDS = 10


def resolver_address() -> tuple[str, int]:
    configured = settings.CERTLIFE_DNS_RESOLVER
    if not configured:
        return str(dns.resolver.get_default_resolver().nameservers[0]), 53
    host, _, port = configured.rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured(f"CERTLIFE_DNS_RESOLVER: expected host:port, got {configured!r}")
    return host.strip("[]"), int(port)


def ask(name: str, rdtype: str, address: str, port: int, *, recursive: bool) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    if not recursive:
        query.flags &= ~dns.flags.RD
    try:
        answer = dns.query.udp(query, address, port=port, timeout=QUERY_TIMEOUT_SECONDS)
        if answer.flags & dns.flags.TC:
            answer = dns.query.tcp(query, address, port=port, timeout=QUERY_TIMEOUT_SECONDS)
    except (dns.exception.DNSException, OSError) as error:
        raise DnsLookupError(
            f"DNS query {rdtype} {name} to {address}:{port} failed ({type(error).__name__})"
        ) from None
    return answer


def resolve(name: str, rdtype: str) -> dns.message.Message:
    return ask(name, rdtype, *resolver_address(), recursive=True)


def records(answer: dns.message.Message, name: str, rdtype: str) -> list:
    wanted_name = dns.name.from_text(name)
    wanted_type = dns.rdatatype.from_text(rdtype)
    return [
        rdata
        for rrset in answer.answer
        if rrset.name == wanted_name and rrset.rdtype == wanted_type
        for rdata in rrset
    ]


def follow_cnames(name: str) -> str:
    """The name at the end of the CNAME chain that starts at `name` (itself if none)."""
    name = normalize_name(name)
    for _ in range(MAX_CNAME_HOPS):
        targets = records(resolve(name, "CNAME"), name, "CNAME")
        if not targets:
            return name
        name = normalize_name(targets[0].target.to_text())
    raise DnsLookupError(f"more than {MAX_CNAME_HOPS} CNAMEs from {name}; a loop?", permanent=True)


def zone_of(name: str) -> str:
    """The zone `name` is in, from the SOA the resolver returns (answer or authority)."""
    answer = resolve(name, "SOA")
    for rrset in (*answer.answer, *answer.authority):
        if rrset.rdtype == dns.rdatatype.SOA:
            return normalize_name(rrset.name.to_text())
    raise DnsLookupError(
        f"no SOA found for {name} (answer {dns.rcode.to_text(answer.rcode())}); is the domain "
        "delegated?"
    )


@dataclass(frozen=True)
class AuthoritativeServers:
    record_name: str  # the name the TXT must be at, after CNAMEs
    zone: str
    nameservers: tuple[tuple[str, str], ...]  # (server name, address)

    def describe(self) -> str:
        return ", ".join(server for server, _ in self.nameservers)


def addresses_of(server: str) -> list[str]:
    found = []
    for rdtype in ("A", "AAAA"):
        found += [rdata.address for rdata in records(resolve(server, rdtype), server, rdtype)]
    return found


def authoritative_servers(name: str) -> AuthoritativeServers:
    record_name = follow_cnames(name)
    zone = zone_of(record_name)
    servers = [
        normalize_name(rdata.target.to_text()) for rdata in records(resolve(zone, "NS"), zone, "NS")
    ]
    nameservers = tuple(
        (server, address) for server in sorted(servers) for address in addresses_of(server)
    )
    if not nameservers:
        raise DnsLookupError(f"the zone {zone} has no nameserver with an address")
    return AuthoritativeServers(record_name, zone, nameservers)


def txt_values_on(name: str, address: str) -> set[str]:
    answer = ask(name, "TXT", address, settings.CERTLIFE_DNS_AUTHORITATIVE_PORT, recursive=False)
    return {b"".join(rdata.strings).decode() for rdata in records(answer, name, "TXT")}


def servers_missing_txt(servers: AuthoritativeServers, value: str) -> list[str]:
    """The nameservers (name/address) that do not yet answer `value`."""
    missing = []
    for server, address in servers.nameservers:
        try:
            seen = txt_values_on(servers.record_name, address)
        except DnsLookupError:
            seen = set()
        if value not in seen:
            missing.append(f"{server}/{address}")
    return missing


class PropagationState(enum.StrEnum):
    VISIBLE = "visible"
    WAITING = "waiting"
    GAVE_UP = "gave_up"


@dataclass(frozen=True)
class PropagationCheck:
    state: PropagationState
    message: str
    retry_in_seconds: int = 0


def check_txt_propagation(
    name: str,
    value: str,
    *,
    waited_seconds: float,
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
) -> PropagationCheck:
    """One poll of the bounded wait for TXT `value` at `name` (after CNAMEs).

    The caller (a Celery task) keeps `waited_seconds` since its first poll, and on
    WAITING reschedules itself `retry_in_seconds` later; no one sleeps in a loop.
    """
    try:
        servers = authoritative_servers(name)
        missing = servers_missing_txt(servers, value)
        where = servers.describe()
        reason = ""
    except DnsLookupError as error:
        missing, where, reason = ["?"], "its nameservers", f" ({error.message})"
    if not missing:
        return PropagationCheck(PropagationState.VISIBLE, f"TXT for {name} visible on {where}")
    if waited_seconds >= timeout_seconds:
        return PropagationCheck(
            PropagationState.GAVE_UP,
            f"TXT for {name} not visible on {where} after {int(waited_seconds)} s{reason}",
        )
    retry_in = max(1, min(interval_seconds, int(timeout_seconds - waited_seconds)))
    return PropagationCheck(
        PropagationState.WAITING,
        f"TXT for {name} not yet visible on {', '.join(missing)}{reason}; retry in {retry_in} s",
        retry_in,
    )
