"""certlife's own DNS lookups: SOA (which zone a name is in), NS, A/AAAA, CAA, CNAME and TXT.

Recursive questions go to CERTLIFE_DNS_RESOLVER (host:port), else the system's first
resolver; questions to a zone's own nameservers go, without recursion, to
CERTLIFE_DNS_AUTHORITATIVE_PORT (53 unless a test points it at a BIND on a high port).
A lookup that fails raises DnsLookupError, which is ours, never a DnsProviderError: a
provider did not fail. certlife.outbound resolves names for connecting, through the
system, and stays apart from this module.
"""

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
    """The configured resolver's whole answer to `name` `rdtype`."""
    return ask(name, rdtype, *resolver_address(), recursive=True)


def records(answer: dns.message.Message, name: str | None, rdtype: str) -> list:
    """The `rdtype` records of `answer` owned by `name` (any owner when None, as after
    the resolver followed CNAMEs)."""
    wanted_name = dns.name.from_text(name) if name is not None else None
    wanted_type = dns.rdatatype.from_text(rdtype)
    return [
        rdata
        for rrset in answer.answer
        if rrset.rdtype == wanted_type and wanted_name in (None, rrset.name)
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


def nameservers_of(zone: str) -> list[str]:
    return [
        normalize_name(rdata.target.to_text()) for rdata in records(resolve(zone, "NS"), zone, "NS")
    ]


def addresses_of(name: str) -> list[str]:
    """The A then AAAA addresses of `name` (the resolver follows CNAMEs); a type whose
    lookup fails counts as none."""
    found = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = resolve(name, rdtype)
        except DnsLookupError:
            continue
        found += [rdata.address for rdata in records(answer, None, rdtype)]
    return found


def caa_records(name: str) -> list:
    """The CAA records at `name` (the resolver follows CNAMEs); none when the lookup fails."""
    try:
        answer = resolve(name, "CAA")
    except DnsLookupError:
        return []
    return records(answer, None, "CAA")


def txt_values_on(name: str, address: str) -> set[str]:
    """The TXT values one authoritative nameserver (at `address`) serves at `name`."""
    answer = ask(name, "TXT", address, settings.CERTLIFE_DNS_AUTHORITATIVE_PORT, recursive=False)
    return {b"".join(rdata.strings).decode() for rdata in records(answer, name, "TXT")}
