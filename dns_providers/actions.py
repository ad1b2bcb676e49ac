"""Every write to DNS accounts (docs/conventions.md point 1): atomic, audited, keyword-only
`actor`. The audit detail names fields, never credential values."""

import json
from collections.abc import Mapping
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from certlife.audit import record_audit_event
from certlife.choices import AuditOutcome
from dns_providers.choices import ConnectionTestStatus
from dns_providers.models import DnsAccount
from dns_providers.providers import PROVIDERS

MAX_NAMES_SHOWN = 5  # of unknown credential names, in the error


def provider_class_for(code: str):
    try:
        return PROVIDERS[code]
    except KeyError:
        known = ", ".join(PROVIDERS)
        raise ValidationError(
            {"provider": [f"Unknown provider {code!r}; one of: {known}."]}
        ) from None


def _merged_credentials(stored: dict, submitted: Mapping, secret_fields: frozenset[str]) -> dict:
    """The stored credentials with the submitted ones laid over them. A secret left empty
    keeps its stored value: secrets are never shown back, so a form cannot resend them."""
    merged = dict(stored)
    for name, value in submitted.items():
        if name in secret_fields and value == "":
            continue
        merged[name] = value
    return merged


def cleaned_credentials(code: str, submitted, *, stored: dict | None = None) -> dict[str, str]:
    """The provider's credentials checked by its declared fields (docs/features.md D1-D7), laid over
    `stored` when an account is edited; ValidationError naming `credentials` (not an
    object, names the provider does not have) or `credentials.<field>` otherwise."""
    provider_class = provider_class_for(code)
    if not isinstance(submitted, Mapping):
        raise ValidationError(
            {"credentials": [f"An object of {provider_class.label} credentials by name."]}
        )
    unknown = submitted.keys() - {field.name for field in provider_class.fields}
    if unknown:
        shown = ", ".join(sorted(repr(str(name)[:40]) for name in islice(unknown, MAX_NAMES_SHOWN)))
        known = ", ".join(field.name for field in provider_class.fields)
        raise ValidationError(
            {
                "credentials": [
                    f"{provider_class.label} has no credential named {shown}"
                    f"{' (and more)' if len(unknown) > MAX_NAMES_SHOWN else ''}; "
                    f"its credentials are {known}."
                ]
            }
        )
    if stored is not None:
        submitted = _merged_credentials(stored, submitted, provider_class.secret_fields)
    cleaned, errors = provider_class.clean_credentials(submitted)
    if errors:
        raise ValidationError(
            {f"credentials.{name}": messages for name, messages in errors.items()}
        )
    return cleaned


def _save_unique(account: DnsAccount, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            account.save(**save_kwargs)
    except IntegrityError:
        raise ValidationError(
            {"provider": [f"A DNS account for {account.provider_label} already exists."]}
        ) from None


@transaction.atomic
def create_dns_account(
    *, provider: str, name: str, credentials: dict, enabled: bool = True, actor
) -> DnsAccount:
    cleaned = cleaned_credentials(provider, credentials)
    if DnsAccount.objects.filter(provider=provider).exists():
        label = PROVIDERS[provider].label
        raise ValidationError({"provider": [f"A DNS account for {label} already exists."]})
    account = DnsAccount(
        provider=provider, name=name, enabled=enabled, credentials=json.dumps(cleaned)
    )
    account.full_clean(exclude=["credentials", "provider"])
    _save_unique(account)
    record_audit_event(
        "dns_account.create",
        actor=actor,
        target=account,
        detail={"provider": provider, "enabled": enabled},
    )
    return account


@transaction.atomic
def update_dns_account(
    account: DnsAccount,
    *,
    name: str | None = None,
    enabled: bool | None = None,
    credentials: dict | None = None,
    actor,
) -> DnsAccount:
    """Change what is given; `credentials` may be partial: names left out keep their
    stored value, and so does a secret sent empty."""
    changed = []
    if name is not None and name != account.name:
        account.name = name
        changed.append("name")
    if enabled is not None and enabled != account.enabled:
        account.enabled = enabled
        changed.append("enabled")
    if credentials is not None:
        merged = cleaned_credentials(
            account.provider, credentials, stored=account.credential_values()
        )
        if merged != account.credential_values():
            account.credentials = json.dumps(merged)
            changed.append("credentials")
    if not changed:
        return account
    account.full_clean(exclude=["credentials", "provider"])
    account.save(update_fields=[*changed, "updated_at"])
    record_audit_event(
        "dns_account.update", actor=actor, target=account, detail={"changed": changed}
    )
    return account


def set_dns_account_enabled(account: DnsAccount, *, enabled: bool, actor) -> DnsAccount:
    return update_dns_account(account, enabled=enabled, actor=actor)


@transaction.atomic
def delete_dns_account(account: DnsAccount, *, actor) -> None:
    record_audit_event(
        "dns_account.delete", actor=actor, target=account, detail={"provider": account.provider}
    )
    account.delete()


@transaction.atomic
def start_connection_test(account: DnsAccount, *, actor) -> DnsAccount:
    """Mark the account as being tested and queue the test for a worker."""
    from dns_providers.tasks import test_dns_account_connection

    account.last_test_status = ConnectionTestStatus.RUNNING
    account.last_test_message = ""
    account.last_tested_at = timezone.now()  # a test still running long after failed
    account.save(update_fields=["last_test_status", "last_test_message", "last_tested_at"])
    record_audit_event("dns_account.test_connection", actor=actor, target=account)
    transaction.on_commit(lambda: test_dns_account_connection.delay(account.pk))
    return account


@transaction.atomic
def record_connection_test(account: DnsAccount, *, passed: bool, message: str, actor) -> None:
    account.last_test_status = (
        ConnectionTestStatus.PASSED if passed else ConnectionTestStatus.FAILED
    )
    account.last_test_message = message
    account.last_tested_at = timezone.now()
    account.save(update_fields=["last_test_status", "last_test_message", "last_tested_at"])
    record_audit_event(
        "dns_account.test_connection_result",
        actor=actor,
        target=account,
        outcome=AuditOutcome.SUCCESS if passed else AuditOutcome.FAILURE,
        detail={"message": message},
    )
