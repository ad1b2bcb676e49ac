"""The rules an account's inputs follow, checked before any write (docs/features.md A1-A7), and
CA failures turned into errors on the field they concern. accounts.actions applies
them; forms and serializers show what they raise."""

import josepy as jose
from acme import errors as acme_errors
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from accounts.acme.keys import load_account_key, private_key_to_pem
from accounts.choices import LETS_ENCRYPT_DIRECTORY_URLS
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
from certlife.outbound import RefusedDestination, check_url

NAME_MAX_LENGTH: int = AcmeAccount._meta.get_field("name").max_length  # type: ignore[assignment]  # set on every CharField
EMAIL_MAX_LENGTH: int = AcmeAccount._meta.get_field("email").max_length  # type: ignore[assignment]  # set on every CharField
DIRECTORY_URL_MAX_LENGTH: int = AcmeAccount._meta.get_field("directory_url").max_length  # type: ignore[assignment]  # set on every CharField
EAB_KID_MAX_LENGTH: int = AcmeAccount._meta.get_field("eab_kid").max_length  # type: ignore[assignment]  # set on every CharField
PROBLEM_FIELDS = {
    "invalidContact": "email",
    "unsupportedContact": "email",
    "externalAccountRequired": "eab_kid",
}


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


def field_errors(*, name: str | None = None, email: str | None = None) -> dict:
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


def check_directory_is_free(directory_url: str) -> None:
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


def checked_inputs(*, name, email, directory) -> str:
    """Check the fields every new account has; the directory URL they resolve to."""
    errors = field_errors(name=name, email=email)
    try:
        directory_url = directory_url_for(directory)
        check_directory_is_free(directory_url)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return directory_url


def account_key_pem(key_pem: str) -> str:
    """The imported key, re-written as PKCS#8 PEM, or a `key_pem` error."""
    if not (key_pem or "").strip():
        raise ValidationError({"key_pem": ["Paste the account key (PEM)."]})
    try:
        return private_key_to_pem(load_account_key(key_pem.strip()))
    except UnsupportedAccountKeyError as error:
        raise ValidationError({"key_pem": [error.message]}) from None


def _field_for(error: AcmeError, default_field: str) -> str:
    if isinstance(error, CaUnreachableError | NotAcmeServerError | DestinationRefusedError):
        return "directory"
    if isinstance(
        error, AccountNotFoundAtCaError | AccountDeactivatedAtCaError | UnsupportedAccountKeyError
    ):
        return "key_pem"
    return PROBLEM_FIELDS.get(error.problem_code or "", default_field)


def at_ca(call, *, default_field: str = "non_field_errors"):
    """Run one CA call; its failure becomes a ValidationError on the field it concerns."""
    try:
        return call()
    except AcmeError as error:
        raise ValidationError({_field_for(error, default_field): [error.message]}) from None
    except (acme_errors.Error, jose.DeserializationError):
        raise ValidationError(
            {default_field: ["The CA's answer could not be understood; try again later."]}
        ) from None
