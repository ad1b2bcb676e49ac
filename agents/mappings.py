"""Which agent mapping answers a name's challenge (docs/features.md V7), for
acme_orders' solver choice and its renewal check.

A mapping is ready when it is enabled and has what its kind needs: a Linux mapping a
web root (HTTP-01) and a trusted host key, a pull-agent mapping an agent that is not
revoked, a DNS mapping a provider (DNS-01). Exact domains win over `*.` ones.
"""

from agents.choices import MappingKind
from agents.domains import patterns_covering
from agents.models import AgentMapping

HTTP_01, DNS_01 = "http-01", "dns-01"
KINDS_FOR_CHALLENGE = {
    HTTP_01: (MappingKind.LINUX, MappingKind.WINDOWS),
    DNS_01: (MappingKind.DNS,),
}


def _is_ready(mapping: AgentMapping) -> bool:
    if mapping.kind == MappingKind.LINUX:
        return bool(mapping.host and mapping.web_root and mapping.host_key_fingerprint)
    if mapping.kind == MappingKind.WINDOWS:
        return mapping.agent is not None and not mapping.agent.revoked
    return bool(mapping.dns_provider)


def mappings_for(
    domain: str, challenge_type: str, *, kinds: tuple[str, ...] | None = None
) -> list[AgentMapping]:
    """The ready mappings that can answer `challenge_type` for `domain`, the most
    specific domain first, in the order of `kinds` (default: every kind that can)."""
    possible = KINDS_FOR_CHALLENGE.get(challenge_type, ())
    allowed = [kind for kind in possible if kinds is None or kind in kinds]
    patterns = patterns_covering(domain)
    candidates = [
        mapping
        for mapping in AgentMapping.objects.enabled()
        .filter(domain__in=patterns, kind__in=allowed)
        .select_related("agent")
        if _is_ready(mapping)
    ]
    candidates.sort(key=lambda m: (patterns.index(m.domain), allowed.index(m.kind), m.pk))
    return candidates


def mapping_for(
    domain: str, challenge_type: str, *, kinds: tuple[str, ...] | None = None
) -> AgentMapping | None:
    """The mapping whose solver answers `domain`'s challenge, or None."""
    found = mappings_for(domain, challenge_type, kinds=kinds)
    return found[0] if found else None


def has_automated_path(domain: str, challenge_type: str) -> bool:
    """A ready agent mapping answers `domain`'s challenges with nobody acting (for the
    renewal check: acme_orders.renewal)."""
    return mapping_for(domain, challenge_type) is not None


def deploy_mappings_for(domains: list[str]) -> list[AgentMapping]:
    """Every enabled mapping with "Deploy certificate" that covers one of `domains`
    (docs/features.md V11): a certificate goes to each of them."""
    patterns = {pattern for domain in domains for pattern in patterns_covering(domain)}
    return list(
        AgentMapping.objects.enabled()
        .filter(deploy=True, domain__in=patterns)
        .exclude(kind=MappingKind.DNS)
        .select_related("agent")
    )
