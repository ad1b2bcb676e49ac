"""Unexpected exceptions (a bug, a library error nobody mapped) put in plain words.

A mapped error (AcmeError, DnsProviderError, DnsLookupError) has a message written for people. Any
other exception's message was written for programmers and may quote anything it was
given, a credential included, so what is shown or logged of it passes through here:
known secret values and PEM private keys are cut out first.
"""

import traceback
from collections.abc import Iterable

from certlife.logging import PRIVATE_KEY_BLOCK

REDACTED = "[redacted]"
MAX_MESSAGE_CHARACTERS = 300
# Shorter values are not looked for: a two-letter "secret" would blank out words.
MIN_SECRET_CHARACTERS = 4
MIN_PEM_LINE_CHARACTERS = 16


def describe(error: BaseException, *, secrets: Iterable[str] = ()) -> str:
    """`KeyError: 'x'`: the exception's type and a short one-line message."""
    text = " ".join(redact(str(error), secrets).split())
    if len(text) > MAX_MESSAGE_CHARACTERS:
        text = text[: MAX_MESSAGE_CHARACTERS - 3] + "..."
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def redacted_traceback(error: BaseException, *, secrets: Iterable[str] = ()) -> str:
    """The whole traceback (chained exceptions too), for the log."""
    return redact("".join(traceback.format_exception(error)), secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    text = PRIVATE_KEY_BLOCK.sub(REDACTED, text)
    fragments = {fragment for secret in secrets for fragment in _fragments(secret)}
    for fragment in sorted(fragments, key=len, reverse=True):
        text = text.replace(fragment, REDACTED)
    return text


def _fragments(secret: str) -> list[str]:
    """The secret, and each base64 line of a PEM (a message may quote one line)."""
    secret = secret.strip()
    if len(secret) < MIN_SECRET_CHARACTERS:
        return []
    if "\n" not in secret:
        return [secret]
    lines = [line.strip() for line in secret.splitlines()]
    return [secret] + [
        line
        for line in lines
        if len(line) >= MIN_PEM_LINE_CHARACTERS and not line.startswith("-----")
    ]
