"""Sending one alert: by email (Django's mail backend, SMTP in production) or as an
HTTP POST of JSON through certlife.outbound.guarded_session(). Each transport makes one
attempt and raises DeliveryError; alerts.delivery decides when to try again.

A webhook URL is a secret: it is never logged, never put in an error message (requests'
own messages repeat it, so they are never used), and urllib3's DEBUG line that names
the request path is held back while a webhook is posted."""

import contextvars
import logging
import smtplib
from contextlib import contextmanager

import requests
from django.core.mail import get_connection

from alerts import formats
from alerts.models import Alert
from certlife.outbound import RefusedDestination, guarded_session
from certlife.retry import is_temporary_status, parse_retry_after

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 15
EMAIL_TIMEOUT_SECONDS = 30

_posting_secret_url: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "posting_secret_url", default=False
)


class DeliveryError(Exception):
    """A delivery failed. `message` is plain words without the URL; `permanent` means
    trying again unchanged cannot help; `retry_after` is the receiver's wish, in s."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class _HoldSecretUrlLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _posting_secret_url.get()


_URLLIB3_LOGGER = logging.getLogger("urllib3.connectionpool")
_URLLIB3_LOGGER.addFilter(_HoldSecretUrlLines())


@contextmanager
def _quiet_urllib3():
    token = _posting_secret_url.set(True)
    try:
        yield
    finally:
        _posting_secret_url.reset(token)


def send_email(alert: Alert, recipients: list[str]) -> None:
    message = formats.email_message(alert, recipients)
    try:
        with get_connection(timeout=EMAIL_TIMEOUT_SECONDS) as connection:
            message.connection = connection
            message.send()
    except smtplib.SMTPRecipientsRefused as error:
        refused = ", ".join(sorted(error.recipients))
        raise DeliveryError(f"The mail server refused the recipients {refused}.") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(
            f"The mail server answered {error.smtp_code}: {_smtp_text(error.smtp_error)}",
            permanent=500 <= error.smtp_code < 600,
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"The mail server could not be reached ({_kind(error)}).") from None


def _smtp_text(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text.strip()[:300]


def _kind(error: BaseException) -> str:
    if isinstance(error, TimeoutError | requests.Timeout):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return type(error).__name__


def post_json(url: str, payload: dict) -> None:
    """POST `payload` to a channel's URL; 2xx is success."""
    session = guarded_session()
    try:
        with _quiet_urllib3():
            response = session.post(
                url,
                json=payload,
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
    except RefusedDestination as error:
        raise DeliveryError(error.message, permanent=True) from None
    except requests.Timeout:
        raise DeliveryError("The receiver did not answer in time.") from None
    except requests.ConnectionError:
        raise DeliveryError("The receiver could not be reached.") from None
    except requests.RequestException:
        raise DeliveryError("The request to the receiver failed.") from None
    finally:
        session.close()
    if 200 <= response.status_code < 300:
        return
    if 300 <= response.status_code < 400:
        raise DeliveryError(
            f"The receiver answered with a redirect ({response.status_code}); give the final URL.",
            permanent=True,
        )
    temporary = is_temporary_status(response.status_code)
    raise DeliveryError(
        f"The receiver answered HTTP {response.status_code}{' (temporary)' if temporary else ''}.",
        permanent=not temporary,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )
