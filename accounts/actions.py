"""Writes of ACME accounts (spec A1-A7), each audited on success and on failure.

Views, API views and the `accounts` management command all call these; the admin is
read-only. Bad input and CA refusals raise Django's
`ValidationError({"field": ["message"]})` (the API answers it as 400), and nothing is
written but the failure's audit event.

Network calls happen inside these actions, not in a Celery task. Design.md keeps
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

import josepy as jose
from acme import errors as acme_errors
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts import ca_operations
from accounts.acme_client import (
    fetch_directory,
    generate_account_key_pem,
    host_of,
    load_account_key,
    private_key_to_pem,
)
from accounts.choices import LETS_ENCRYPT_DIRECTORY_URLS, AccountStatus
from accounts.errors import (
    AccountDeactivatedAtCaError,
    AccountNotFoundAtCaError,
    AcmeError,
    CaUnreachableError,
    DestinationRefusedError,
    NotAcmeServerError,
    UnsupportedAccountKeyError,
)
from accounts.models import AcmeAccount
from certlife.audit import record_audit_event
from certlife.choices import AuditOutcome
from certlife.outbound import RefusedDestination, check_url, redact_credentials

NAME_MAX_LENGTH: int = AcmeAccount._meta.get_field("name").max_length  # type: ignore[assignment]  # set on every CharField
EMAIL_MAX_LENGTH: int = AcmeAccount._meta.get_field("email").max_length  # type: ignore[assignment]  # set on every CharField
DIRECTORY_URL_MAX_LENGTH: int = AcmeAccount._meta.get_field("directory_url").max_length  # type: ignore[assignment]  # set on every CharField
EAB_KID_MAX_LENGTH: int = AcmeAccount._meta.get_field("eab_kid").max_length  # type: ignore[assignment]  # set on every CharField
PROBLEM_FIELDS = {
    "invalidContact": "email",
    "unsupportedContact": "email",
    "externalAccountRequired": "eab_kid",
}


# --- input checks (no network) ------------------------------------------------------


def directory_url_for(directory: str) -> str:
    """`production`, `staging` or an https URL, as the directory URL to use. What the
    URL itself shows is checked here (certlife.outbound.check_url: no credentials, no
    literal private address); the addresses its name resolves to, when connecting."""
    directory = (directory or "").strip()
    if directory in LETS_ENCRYPT_DIRECTORY_URLS:
        return LETS_ENCRYPT_DIRECTORY_URLS[directory]
    if not directory:
        raise ValidationError({"directory": ["Choose production, staging or a directory URL."]})
    if len(directory) > DIRECTORY_URL_MAX_LENGTH:
        raise ValidationError({"directory": [f"At most {DIRECTORY_URL_MAX_LENGTH} characters."]})
    try:
        URLValidator(schemes=["https"])(directory)
    except ValidationError:
        raise ValidationError(
            {"directory": ["Enter production, staging or the https URL of an ACME directory."]}
        ) from None
    try:
        check_url(directory)
    except RefusedDestination as refusal:
        raise ValidationError({"directory": [refusal.message]}) from None
    return directory


def _field_errors(*, name: str | None = None, email: str | None = None) -> dict:
    errors = {}
    if name is not None:
        if not name.strip():
            errors["name"] = ["Enter a name for the account."]
        elif len(name) > NAME_MAX_LENGTH:
            errors["name"] = [f"At most {NAME_MAX_LENGTH} characters."]
    if email is not None:
        if len(email) > EMAIL_MAX_LENGTH:
            return {**errors, "email": [f"At most {EMAIL_MAX_LENGTH} characters."]}
        try:
            EmailValidator(message="Enter a valid email address.")(email)
        except ValidationError as error:
            errors["email"] = error.messages
    return errors


def _check_directory_is_free(directory_url: str) -> None:
    existing = AcmeAccount.objects.filter(directory_url=directory_url).first()
    if existing is not None:
        raise ValidationError(
            {
                "directory": [
                    f"The account {existing.name!r} already uses this directory: one account "
                    "per directory (delete it first to add another)."
                ]
            }
        )


def _checked_inputs(*, name, email, directory) -> str:
    """Check the fields every new account has; the directory URL they resolve to."""
    errors = _field_errors(name=name, email=email)
    try:
        directory_url = directory_url_for(directory)
        _check_directory_is_free(directory_url)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return directory_url


def _account_key_pem(key_pem: str) -> str:
    """The imported key, re-written as PKCS#8 PEM, or a `key_pem` error."""
    if not (key_pem or "").strip():
        raise ValidationError({"key_pem": ["Paste the account key (PEM)."]})
    try:
        return private_key_to_pem(load_account_key(key_pem.strip()))
    except UnsupportedAccountKeyError as error:
        raise ValidationError({"key_pem": [error.message]}) from None


# --- CA errors as field errors ------------------------------------------------------


def _field_for(error: AcmeError, default_field: str) -> str:
    if isinstance(error, CaUnreachableError | NotAcmeServerError | DestinationRefusedError):
        return "directory"
    if isinstance(
        error, AccountNotFoundAtCaError | AccountDeactivatedAtCaError | UnsupportedAccountKeyError
    ):
        return "key_pem"
    return PROBLEM_FIELDS.get(error.problem_code or "", default_field)


def _at_ca(call, *, default_field: str = "non_field_errors"):
    """Run one CA call; its failure becomes a ValidationError on the field it concerns."""
    try:
        return call()
    except AcmeError as error:
        raise ValidationError({_field_for(error, default_field): [error.message]}) from None
    except (acme_errors.Error, jose.DeserializationError):
        raise ValidationError(
            {default_field: ["The CA's answer could not be understood; try again later."]}
        ) from None


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


# --- actions ------------------------------------------------------------------------


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
        directory_url = _checked_inputs(name=name, email=email, directory=directory)
        if not agree_tos:
            raise ValidationError({"agree_tos": ["You must agree to the CA's terms of service."]})
        if len(eab_kid) > EAB_KID_MAX_LENGTH:
            raise ValidationError({"eab_kid": [f"At most {EAB_KID_MAX_LENGTH} characters."]})
        if bool(eab_kid) != bool(eab_hmac_key):
            missing = "eab_hmac_key" if eab_kid else "eab_kid"
            raise ValidationError({missing: ["Enter both the EAB key ID and the EAB HMAC key."]})
        ca_directory = _at_ca(lambda: fetch_directory(directory_url), default_field="directory")
        if ca_directory.meta.external_account_required and not eab_kid:
            message = (
                f"{host_of(directory_url)} requires External Account Binding: enter the EAB "
                "key ID and HMAC key it gave you."
            )
            raise ValidationError({"eab_kid": [message], "eab_hmac_key": [message]})

        key_pem = generate_account_key_pem()
        at_ca = _at_ca(
            lambda: ca_operations.create_account(
                directory_url, key_pem, email=email, eab_kid=eab_kid, eab_hmac_key=eab_hmac_key
            ),
            default_field="eab_hmac_key" if eab_kid else "non_field_errors",
        )
        account = AcmeAccount(
            name=name.strip(),
            email=email,
            directory_url=directory_url,
            key_pem=key_pem,
            account_url=at_ca.url,
            status=AccountStatus.VALID,
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
        directory_url = _checked_inputs(name=name, email=email, directory=directory)
        key_pem = _account_key_pem(key_pem)
        at_ca = _at_ca(
            lambda: ca_operations.find_existing_account(directory_url, key_pem),
            default_field="key_pem",
        )
        account = AcmeAccount(
            name=name.strip(),
            email=email,
            directory_url=directory_url,
            key_pem=key_pem,
            account_url=at_ca.url,
            status=AccountStatus.VALID,
        )
        _save_new(account, "account.import", actor=actor, detail=detail)
    return account


def _save_new(account: AcmeAccount, action: str, *, actor, detail: dict) -> None:
    try:
        with transaction.atomic():
            account.save()
            record_audit_event(action, actor=actor, target=account, detail=detail)
    except IntegrityError:
        # Another request took the directory between our check and this insert.
        _check_directory_is_free(account.directory_url)
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
        errors = _field_errors(email=email)
        if errors:
            raise ValidationError(errors)
        _require_valid(account)
        _at_ca(lambda: ca_operations.update_contact(account, email=email), default_field="email")
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
        _at_ca(lambda: _deactivate_at_ca(account))
        with transaction.atomic():
            account.status = AccountStatus.DEACTIVATED
            account.save(update_fields=["status", "updated_at"])
            record_audit_event("account.deactivate", actor=actor, target=account)
    return account
