import logging
import re

PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.DOTALL
)


class RedactSecretsFilter(logging.Filter):
    """Second line of defence: a PEM private key that reaches a log line is replaced.

    certlife never logs secrets on purpose; this catches a library that does.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "PRIVATE KEY-----" in message:
            record.msg = PRIVATE_KEY_BLOCK.sub("[private key redacted]", message)
            record.args = None
        return True
