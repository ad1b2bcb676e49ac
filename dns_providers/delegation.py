"""Where a DNS-01 TXT record goes, and with which DNS account (docs/features.md V10).

When `_acme-challenge.<name>` is a CNAME into another zone, the record is written at
the CNAME's target with the account that can see the target's zone, so credentials for
the main zone never need to be stored.
"""

from dataclasses import dataclass

from dns_providers.errors import DnsProviderError, ZoneNotFoundError
from dns_providers.models import DnsAccount
from dns_providers.resolver import follow_cnames


@dataclass(frozen=True)
class ChallengeRecord:
    domain: str
    record_name: str  # _acme-challenge.<domain>, or the end of its CNAME chain
    zone: str
    account: DnsAccount


def challenge_record_name(domain: str) -> str:
    """`_acme-challenge.example.com` for example.com and for *.example.com."""
    return "_acme-challenge." + domain.strip().rstrip(".").lower().removeprefix("*.")


def find_challenge_record(domain: str, *, account: DnsAccount | None = None) -> ChallengeRecord:
    """The record to write for `domain` and the enabled account to write it with.

    `account` (the request's DNS account) is tried first when it is enabled, then every
    other enabled account. Raises DnsProviderError: permanent when no account sees the
    zone, temporary when an account that might have answered could not be asked.
    """
    record_name = follow_cnames(challenge_record_name(domain))
    candidates = list(DnsAccount.objects.enabled())
    if account is not None:
        candidates.sort(key=lambda candidate: candidate.pk != account.pk)
    failures: list[DnsProviderError] = []
    for candidate in candidates:
        try:
            zone = candidate.build_provider().find_zone(record_name)
        except ZoneNotFoundError:
            continue
        except DnsProviderError as error:
            failures.append(error)
            continue
        return ChallengeRecord(domain, record_name, zone, candidate)
    tried = ", ".join(candidate.provider_label for candidate in candidates) or "none enabled"
    reasons = "".join(f"; {failure.message}" for failure in failures)
    advice = (
        "Fix the DNS account named above, or add one that can write this zone."
        if failures
        else "Add or enable a DNS account for its zone."
    )
    raise DnsProviderError(
        f"No enabled DNS account can write {record_name} (accounts tried: {tried}){reasons}. "
        + advice,
        permanent=all(failure.permanent for failure in failures),
    )
