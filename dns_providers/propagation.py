"""Is a TXT record visible on every authoritative nameserver of its zone (docs/features.md V9)?

The zone is found by asking the resolver for the name's SOA after following CNAMEs;
its NS records name the servers, which are then asked directly, without recursion
(dns_providers.resolver). Asking the authoritative servers, not a cache, is what the
CA will effectively see (lego and cert-manager do the same).
"""

import enum
import math
from dataclasses import dataclass

from dns_providers import resolver
from dns_providers.errors import DnsLookupError

DEFAULT_TIMEOUT_SECONDS = 600
DEFAULT_INTERVAL_SECONDS = 10


@dataclass(frozen=True)
class AuthoritativeServers:
    record_name: str  # the name the TXT must be at, after CNAMEs
    zone: str
    nameservers: tuple[tuple[str, str], ...]  # (server name, address)

    def describe(self) -> str:
        return ", ".join(server for server, _ in self.nameservers)


def authoritative_servers(name: str) -> AuthoritativeServers:
    record_name = resolver.follow_cnames(name)
    zone = resolver.zone_of(record_name)
    nameservers = tuple(
        (server, address)
        for server in sorted(resolver.nameservers_of(zone))
        for address in resolver.addresses_of(server)
    )
    if not nameservers:
        raise DnsLookupError(f"the zone {zone} has no nameserver with an address")
    return AuthoritativeServers(record_name, zone, nameservers)


def servers_missing_txt(servers: AuthoritativeServers, value: str) -> list[str]:
    """The nameservers (name/address) that do not yet answer `value`."""
    missing = []
    for server, address in servers.nameservers:
        try:
            seen = resolver.txt_values_on(servers.record_name, address)
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
class PropagationResult:
    state: PropagationState
    message: str
    retry_in_seconds: int = 0  # on WAITING: when the next poll is due


def next_poll_in(waited_seconds: float, *, timeout_seconds: int, interval_seconds: int) -> int:
    """Seconds until the next poll: polls fall every `interval_seconds` after the first,
    and the last one at the timeout; at least 1."""
    until_next = interval_seconds - waited_seconds % interval_seconds
    return max(1, math.ceil(min(until_next, timeout_seconds - waited_seconds)))


def check_txt_propagation(
    name: str,
    value: str,
    *,
    waited_seconds: float,
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    interval_seconds: int = DEFAULT_INTERVAL_SECONDS,
) -> PropagationResult:
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
        return PropagationResult(PropagationState.VISIBLE, f"TXT for {name} visible on {where}")
    if waited_seconds >= timeout_seconds:
        return PropagationResult(
            PropagationState.GAVE_UP,
            f"TXT for {name} not visible on {where} after {int(waited_seconds)} s{reason}",
        )
    retry_in = next_poll_in(
        waited_seconds, timeout_seconds=timeout_seconds, interval_seconds=interval_seconds
    )
    return PropagationResult(
        PropagationState.WAITING,
        f"TXT for {name} not yet visible on {', '.join(missing)}{reason}; retry in {retry_in} s",
        retry_in,
    )
