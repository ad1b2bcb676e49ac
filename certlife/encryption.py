"""Encryption of secrets at rest (spec S3).

Keys come from CERTLIFE_SECRET_KEYS: the first encrypts, every key decrypts, so a new
key is added in front and `manage.py rotate_secret_keys` re-encrypts everything.
"""

from collections.abc import Callable
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "CERTLIFE_SECRET_KEYS: every key must be 32 url-safe base64-encoded bytes "
            "(make one with `python manage.py generate_secret_key`)"
        ) from error


def current_fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.CERTLIFE_SECRET_KEYS))


def encrypt_text(plain: str) -> str:
    return current_fernet().encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    return _with_current_keys(
        MultiFernet.decrypt,
        token,
        "A stored secret cannot be decrypted: the key that encrypted it is not in "
        "CERTLIFE_SECRET_KEYS.",
    )


def reencrypt_text(token: str) -> str:
    """The same secret, encrypted with the first (newest) key."""
    return _with_current_keys(
        MultiFernet.rotate,
        token,
        "A stored secret cannot be re-encrypted: its key is not in CERTLIFE_SECRET_KEYS.",
    )


def _with_current_keys(
    operation: Callable[[MultiFernet, bytes], bytes], token: str, failure: str
) -> str:
    """`operation` on `token` with the configured keys; `failure` if none of them fits."""
    try:
        return operation(current_fernet(), token.encode()).decode()
    except InvalidToken:
        raise SecretDecryptionError(failure) from None


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python code sees the plain text.

    Encrypted values cannot be searched or compared in SQL. Empty strings stay empty
    (so "no secret" needs no key).
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)


def encrypted_fields():
    """Every (model, field) pair that stores an encrypted secret."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field
