"""Writes of ACME accounts (docs/features.md A1-A7), each audited on success and on failure.

Views, API views and the `accounts` management command all call these; the admin is
read-only. Bad input and CA refusals raise Django's
`ValidationError({"field": ["message"]})` (the API answers it as 400), and nothing is
written but the failure's audit event.

Network calls happen inside these actions, not in a Celery task. The design keeps
network work and key generation out of web requests so that a page never waits on
a CA; account actions are the exception, on purpose:
- they are rare, administrator-only and interactive: the person needs the CA's
  answer (registered, refused because of EAB, deactivated...) on the same page, and
  the API contract answers 201 or 400 at once, never "pending";
- each is a directory read plus one or two signed requests, run with
  `INTERACTIVE_POLICY` (5 s to connect, 15 s to answer, at most two short retries,
  never a long Retry-After sleep): a healthy CA answers in well under a second, and
  even a misbehaving one cannot hold the web worker for more than a bounded time;
- doing the CA call first and writing the row after means a refusal leaves nothing
  half-written, with no "registering..." row to clean up;
- the generated key is EC P-256, which takes well under a millisecond (the rule is
  about RSA keys for certificates, which can take seconds).
Long-running or repeated CA work (orders, validation, renewal) stays in tasks.
"""

import contextlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts import ca_operations
from accounts.acme.directory import fetch_directory
from accounts.acme.keys import generate_account_key_pem
from accounts.acme.network import host_of
from accounts.choices import AccountStatus
from accounts.errors import (
    AccountDeactivatedAtCaError,
)
from accounts.models import AcmeAccount
from accounts.validation import (
    EAB_KID_MAX_LENGTH,
    account_key_pem,
    at_ca,
    check_directory_is_free,
    checked_inputs,
    field_errors,
)
from certlife.audit import record_audit_event
from certlife.choices import AuditOutcome
from certlife.outbound import redact_credentials


class _AuditedFailure:
    """Context manager: a ValidationError leaving the block is audited as a failure."""

    def __init__(self, action: str, *, actor, target=None, detail: dict):
        self.action, self.actor, self.target, self.detail = action, actor, target, detail

    def __enter__(self):
        return self

    def __exit__(self, exc_type, error, traceback):
        if isinstance(error, ValidationError):
            messages = error.messages
            record_audit_event(
                self.action,
                actor=self.actor,
                target=self.target,
                outcome=AuditOutcome.FAILURE,
                detail={**self.detail, "error": " ".join(messages)},
            )
        return False


def register_account(
    *,
    actor,
    name: str,
    email: str,
    directory: str,
    agree_tos: bool,
    eab_kid: str = "",
    eab_hmac_key: str = "",
) -> AcmeAccount:
    """Create a new account at the CA with a new key, and store it (A1)."""
    eab_kid, eab_hmac_key = (eab_kid or "").strip(), (eab_hmac_key or "").strip()
    detail = {"name": name, "directory": redact_credentials(directory), "eab_kid": eab_kid}
    with _AuditedFailure("account.register", actor=actor, detail=detail):
        directory_url = checked_inputs(name=name, email=email, directory=directory)
        if not agree_tos:
            raise ValidationError({"agree_tos": ["You must agree to the CA's terms of service."]})
        if len(eab_kid) > EAB_KID_MAX_LENGTH:
            raise ValidationError({"eab_kid": [f"At most {EAB_KID_MAX_LENGTH} characters."]})
        if bool(eab_kid) != bool(eab_hmac_key):
            missing = "eab_hmac_key" if eab_kid else "eab_kid"
            raise ValidationError({missing: ["Enter both the EAB key ID and the EAB HMAC key."]})
        ca_directory = at_ca(lambda: fetch_directory(directory_url), default_field="directory")
        if ca_directory.meta.external_account_required and not eab_kid:
            message = (
                f"{host_of(directory_url)} requires External Account Binding: enter the EAB "
                "key ID and HMAC key it gave you."
            )
            raise ValidationError({"eab_kid": [message], "eab_hmac_key": [message]})

        key_pem = generate_account_key_pem()
        answer = at_ca(
            lambda: ca_operations.create_account(
                directory_url, key_pem, email=email, eab_kid=eab_kid, eab_hmac_key=eab_hmac_key
            ),
            default_field="eab_hmac_key" if eab_kid else "non_field_errors",
        )
        account = _valid_account(
            name,
            email,
            directory_url,
            key_pem,
            answer.url,
            tos_agreed_at=timezone.now(),
            eab_kid=eab_kid,
        )
        _save_new(account, "account.register", actor=actor, detail=detail)
    return account


def import_account(*, actor, name: str, email: str, directory: str, key_pem: str) -> AcmeAccount:
    """Add an account that exists at the CA, by its key (A5). The CA is asked with
    onlyReturnExisting, so no account is ever created; a key without an account, or
    whose account is deactivated, is refused."""
    detail = {"name": name, "directory": redact_credentials(directory)}
    with _AuditedFailure("account.import", actor=actor, detail=detail):
        directory_url = checked_inputs(name=name, email=email, directory=directory)
        key_pem = account_key_pem(key_pem)
        answer = at_ca(
            lambda: ca_operations.find_existing_account(directory_url, key_pem),
            default_field="key_pem",
        )
        account = _valid_account(name, email, directory_url, key_pem, answer.url)
        _save_new(account, "account.import", actor=actor, detail=detail)
    return account


def _valid_account(
    name: str, email: str, directory_url: str, key_pem: str, account_url: str, **more
) -> AcmeAccount:
    """An unsaved account the CA has just answered for."""
    return AcmeAccount(
        name=name.strip(),
        email=email,
        directory_url=directory_url,
        key_pem=key_pem,
        account_url=account_url,
        status=AccountStatus.VALID,
        **more,
    )


def _save_new(account: AcmeAccount, action: str, *, actor, detail: dict) -> None:
    try:
        with transaction.atomic():
            account.save()
            record_audit_event(action, actor=actor, target=account, detail=detail)
    except IntegrityError:
        # Another request took the directory between our check and this insert.
        check_directory_is_free(account.directory_url)
        raise


def _require_valid(account: AcmeAccount) -> None:
    if not account.is_valid:
        raise ValidationError(
            {"non_field_errors": ["This account is deactivated at its CA: it cannot be used."]}
        )


def update_account_email(account: AcmeAccount, *, actor, email: str) -> AcmeAccount:
    """Change the account's email at the CA, then here (A2)."""
    detail = {"email": email}
    with _AuditedFailure("account.update_email", actor=actor, target=account, detail=detail):
        errors = field_errors(email=email)
        if errors:
            raise ValidationError(errors)
        _require_valid(account)
        at_ca(lambda: ca_operations.update_contact(account, email=email), default_field="email")
        with transaction.atomic():
            account.email = email
            account.save(update_fields=["email", "updated_at"])
            record_audit_event("account.update_email", actor=actor, target=account, detail=detail)
    return account


@transaction.atomic
def export_account_key(account: AcmeAccount, *, actor) -> str:
    """The account key as PEM (A4). Every export is audited."""
    record_audit_event("account.export_key", actor=actor, target=account)
    return account.key_pem


def delete_account(account: AcmeAccount, *, actor) -> None:
    """Remove the account from certlife only; it stays active at the CA (A3)."""
    with _AuditedFailure("account.delete", actor=actor, target=account, detail={}):
        try:
            with transaction.atomic():
                # Audited first: the event names the row while it still has its id.
                record_audit_event("account.delete", actor=actor, target=account)
                account.delete()
        except ProtectedError as error:
            count = len(error.protected_objects)
            raise ValidationError(
                {
                    "non_field_errors": [
                        f"{count} certificate request(s) use this account: delete them first."
                    ]
                }
            ) from None


def _deactivate_at_ca(account: AcmeAccount) -> None:
    # Already deactivated at the CA: the goal is reached.
    with contextlib.suppress(AccountDeactivatedAtCaError):
        ca_operations.deactivate(account)


def deactivate_account(account: AcmeAccount, *, actor) -> AcmeAccount:
    """Deactivate the account at the CA, for ever (A6). An account the CA already
    reports as deactivated is marked so here too."""
    with _AuditedFailure("account.deactivate", actor=actor, target=account, detail={}):
        _require_valid(account)
        at_ca(lambda: _deactivate_at_ca(account))
        with transaction.atomic():
            account.status = AccountStatus.DEACTIVATED
            account.save(update_fields=["status", "updated_at"])
            record_audit_event("account.deactivate", actor=actor, target=account)
    return account
