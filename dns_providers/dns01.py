"""DNS-01 in three calls: publish a TXT record, check it has propagated, remove it.

    publish(domain, value, account=...)  -> PublishedRecord (name, account, when)
    publish_with(domain, value, account=...)  the same with that account only
    check(record, value)                  -> PropagationResult (with the next poll's delay)
    remove(record, value)                 quiet if already gone

`publish` follows the `_acme-challenge` CNAME delegation and writes with the account
that sees the target zone (dns_providers.delegation, docs/features.md V10); `check` asks every
authoritative nameserver (dns_providers.propagation, docs/features.md V9) on the timing the
account's provider declares. Provider failures raise DnsProviderError, our own lookup
failures DnsLookupError.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from dns_providers.delegation import challenge_record_name, find_challenge_record
from dns_providers.models import DnsAccount
from dns_providers.propagation import PropagationResult, check_txt_propagation, next_poll_in
from dns_providers.providers.base import DnsProvider
from dns_providers.resolver import follow_cnames


@dataclass(frozen=True)
class PublishedRecord:
    record_name: str  # where the TXT is, after the CNAME chain
    account: DnsAccount  # the account that wrote it, and removes it
    published_at: datetime


def publish(
    domain: str,
    value: str,
    *,
    account: DnsAccount | None,
    before_write: Callable[[PublishedRecord], None] | None = None,
) -> PublishedRecord:
    """Write TXT `value` for `domain`, trying `account` first. `before_write` gets the
    handle before the provider is called, so a caller can store what to clean up even
    if the process dies during the write."""
    located = find_challenge_record(domain, account=account)
    record = PublishedRecord(located.record_name, located.account, timezone.now())
    if before_write is not None:
        before_write(record)
    record.account.build_provider().add_txt(record.record_name, value)
    return record


def publish_with(
    domain: str,
    value: str,
    *,
    account: DnsAccount,
    before_write: Callable[[PublishedRecord], None] | None = None,
) -> PublishedRecord:
    """Write TXT `value` for `domain` with `account` and no other: an agent mapping's own
    provider and credentials (docs/features.md V5), which may be an unsaved account.
    The `_acme-challenge` CNAME chain is followed; the account's provider raises
    ZoneNotFoundError when it cannot write the zone at its end."""
    record = PublishedRecord(follow_cnames(challenge_record_name(domain)), account, timezone.now())
    if before_write is not None:
        before_write(record)
    account.build_provider().add_txt(record.record_name, value)
    return record


def check(record: PublishedRecord, value: str) -> PropagationResult:
    """One poll: VISIBLE, WAITING (retry_in_seconds says when to poll next) or GAVE_UP
    once the provider's propagation timeout has passed since the write."""
    return check_txt_propagation(record.record_name, value, **_timing(record))


def next_check_in(record: PublishedRecord) -> int:
    """Seconds until the next poll of `record` is due: what `check` says when WAITING."""
    return next_poll_in(**_timing(record))


def _timing(record: PublishedRecord) -> dict:
    provider = record.account.provider_class or DnsProvider
    return {
        "waited_seconds": (timezone.now() - record.published_at).total_seconds(),
        "timeout_seconds": provider.propagation_timeout_seconds
        or settings.CERTLIFE_DNS_PROPAGATION_TIMEOUT_SECONDS,
        "interval_seconds": provider.propagation_poll_seconds,
    }


def remove(record: PublishedRecord, value: str) -> None:
    """Remove TXT `value` at the record with the account that wrote it; quiet if gone."""
    record.account.build_provider().remove_txt(record.record_name, value)
