"""The errors every DNS provider raises (docs/conventions.md point 5).

A provider maps whatever its API or library raises onto `DnsProviderError`:
temporary ones (5xx, time-outs, rate limits) are already retried a few times inside
the provider call and may succeed if the caller tries again later; permanent ones
(credentials rejected, zone not visible) need a person to fix something, and their
message names the provider and what to fix. No message ever carries a secret.
"""

from certlife.errors import OutsideSystemError


class DnsProviderError(OutsideSystemError):
    retry_after: float | None = None  # seconds, when the provider said how long to wait


class ZoneNotFoundError(DnsProviderError):
    """No zone the credentials can see contains the name."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class DnsLookupError(Exception):
    """A DNS query of our own (dns_providers.resolver) failed; usually worth a retry.
    Not a DnsProviderError: no provider failed, so no DNS account is to blame."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message
