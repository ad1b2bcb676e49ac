"""The contract every DNS provider implements (docs/conventions.md point 4).

A provider class declares `code`, `label` and its credential `fields` once (see
fields.py); the form, the API validation and the masking of secrets are all driven by
those declarations. An instance is built from one DNS account's credentials, checked
against the same rules, and offers `add_txt`, `remove_txt`, `find_zone` and `test`,
each raising only `DnsProviderError`.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar

import dns.name

from dns_providers.errors import DnsProviderError, ZoneNotFoundError
from dns_providers.providers.fields import CredentialField, clean_field

CHALLENGE_TTL_SECONDS = 60
SECRET_MASK = "********"  # noqa: S105 - what the UI shows instead of a secret


def normalize_name(name: str) -> str:
    """`_acme-challenge.Example.COM.` -> `_acme-challenge.example.com`."""
    return name.strip().rstrip(".").lower()


def longest_matching_zone(fqdn: str, zones: Iterable[str]) -> str | None:
    """The longest zone in `zones` that `fqdn` is in (or equal to), or None."""
    name = dns.name.from_text(normalize_name(fqdn))
    matches = [
        normalize_name(zone)
        for zone in zones
        if name.is_subdomain(dns.name.from_text(normalize_name(zone)))
    ]
    return max(matches, key=len, default=None)


def relative_name(fqdn: str, zone: str) -> str:
    """The record name inside its zone: `_acme-challenge.www` for www.example.com; `@`
    for the apex."""
    fqdn, zone = normalize_name(fqdn), normalize_name(zone)
    if fqdn == zone:
        return "@"
    return fqdn.removesuffix("." + zone)


class DnsProvider:
    code: ClassVar[str]
    label: ClassVar[str]
    fields: ClassVar[tuple[CredentialField, ...]]
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    # How often to look for a new TXT record on the authoritative servers, and how long
    # at most (None: CERTLIFE_DNS_PROPAGATION_TIMEOUT_SECONDS); slow providers say more.
    propagation_poll_seconds: ClassVar[int] = 10
    propagation_timeout_seconds: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.secret_fields = frozenset(field.name for field in cls.fields if field.secret)

    def __init__(self, credentials: Mapping[str, str]):
        """Raises a permanent DnsProviderError when `credentials` break the declared
        rules (an account stored before a rule existed), so no DNS library ever sees a
        malformed value."""
        errors: dict[str, list[str]] = {"credentials": ["not an object"]}
        if isinstance(credentials, Mapping):
            cleaned, errors = self.clean_credentials(credentials)
        if errors:
            raise self.error(
                f"the DNS account's stored credentials break the rules ({', '.join(errors)}); "
                "edit the DNS account and enter them again",
                permanent=True,
            )
        self.credentials = cleaned

    @classmethod
    def clean_credentials(cls, submitted: Mapping) -> tuple[dict[str, str], dict[str, list[str]]]:
        """(cleaned values, errors by field name) for every declared field, by the
        field's rules (fields.clean_field), then the rules across fields. Names that
        are not declared are left out; the caller decides whether they are an error."""
        cleaned, errors = {}, {}
        for field in cls.fields:
            cleaned[field.name], field_errors = clean_field(field, submitted)
            if field_errors:
                errors[field.name] = field_errors
        if not errors:
            errors = cls.check_credentials(cleaned)
        return cleaned, errors

    @classmethod
    def check_credentials(cls, cleaned: dict[str, str]) -> dict[str, list[str]]:
        """Rules across fields (one of two ways to log in...), once every field passed
        its own rules; errors by field name."""
        return {}

    @classmethod
    def masked_credentials(cls, credentials: Mapping[str, str]) -> dict[str, str]:
        """Every field with its value, secrets replaced by a mask (or "" when unset)."""
        return {
            field.name: (
                (SECRET_MASK if credentials.get(field.name) else "")
                if field.secret
                else credentials.get(field.name, "")
            )
            for field in cls.fields
        }

    def find_zone(self, fqdn: str) -> str:
        """The longest zone the credentials can see that contains `fqdn`; raises
        ZoneNotFoundError when there is none."""
        return self.zone_among(fqdn, self.list_zones())

    def zone_among(self, fqdn: str, zones: Iterable[str]) -> str:
        zone = longest_matching_zone(fqdn, zones)
        if zone is None:
            raise ZoneNotFoundError(
                f"{self.label}: no zone for {normalize_name(fqdn)} is visible to these "
                f"credentials; add the zone at {self.label} or give the credentials "
                "access to it"
            )
        return zone

    def list_zones(self) -> list[str]:
        """Every zone name the credentials can see (providers that list zones)."""
        raise NotImplementedError

    def add_txt(self, fqdn: str, value: str) -> None:
        """Publish TXT `value` at `fqdn`, beside any other values already there."""
        raise NotImplementedError

    def remove_txt(self, fqdn: str, value: str) -> None:
        """Remove TXT `value` at `fqdn`, leaving other values; quiet if already gone."""
        raise NotImplementedError

    def test(self) -> str:
        """Prove the credentials without changing any record: a short success message,
        or DnsProviderError saying plainly what is wrong."""
        raise NotImplementedError

    def error(self, message: str, *, permanent: bool) -> DnsProviderError:
        return DnsProviderError(f"{self.label}: {message}", permanent=permanent)

    def no_answer(self, where: str, error: Exception, hint: str) -> DnsProviderError:
        """A temporary error: `where` did not answer (time-out, refused connection...)."""
        return self.error(
            f"no answer from {where} ({type(error).__name__}); {hint}", permanent=False
        )


TxtChange = Callable[[list[str]], list[str] | None]


class RewritesTxtSet:
    """For providers that write a name's TXT values as one set: `add_txt` and
    `remove_txt` are one read-modify-write, `_rewrite(fqdn, change)`, where `change`
    takes the values read and returns the values to write, or None for "nothing to do".
    Listed before DnsProvider among the bases."""

    def _rewrite(self, fqdn: str, change: TxtChange) -> None:
        raise NotImplementedError

    def add_txt(self, fqdn: str, value: str) -> None:
        self._rewrite(fqdn, lambda values: None if value in values else [*values, value])

    def remove_txt(self, fqdn: str, value: str) -> None:
        self._rewrite(
            fqdn,
            lambda values: (
                [other for other in values if other != value] if value in values else None
            ),
        )
