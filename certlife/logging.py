import logging
import re
import traceback

PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.DOTALL
)
# A key block cut short (a truncated message or repr) still starts like one.
PRIVATE_KEY_START = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s\\n]*")
# An Authorization header's credentials, as a header line, a dict entry or a repr:
# `Authorization: Token abc`, `'HTTP_AUTHORIZATION': 'Bearer abc'`.
AUTHORIZATION_VALUE = re.compile(
    r"""(authorization['"]?\s*[:=]\s*['"]?(?:(?:token|bearer|basic)\s+)?)[^\s'",}]+""",
    re.IGNORECASE,
)
# The password in a URL's user info: postgres://certlife:secret@db/certlife.
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/'\"]+@", re.IGNORECASE)

REDACTIONS = [
    (PRIVATE_KEY_BLOCK, "[private key redacted]"),
    (PRIVATE_KEY_START, "[private key redacted]"),
    (AUTHORIZATION_VALUE, r"\1[redacted]"),
    (URL_PASSWORD, r"\1[redacted]@"),
]


def redact_secrets(text: str) -> str:
    """`text` with every secret shape certlife recognises replaced by a marker."""
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Second line of defence: a secret that reaches a log line is replaced.

    certlife never logs secrets on purpose; this catches a library that does, and an
    exception whose message or traceback carries one: the traceback is formatted
    here and kept redacted as `exc_text`, and the exception itself is dropped from
    the record so that no later handler formats it again unredacted.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            redacted = redact_secrets(record.exc_text)
            if redacted != record.exc_text:
                record.exc_text = redacted
                record.exc_info = None
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info)
        return True
