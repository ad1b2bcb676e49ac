"""Secrets that reach a log line are redacted by every handler certlife configures:
in the message, in an exception's message and traceback, and in a stack dump."""

import io
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from certlife.logging import RedactSecretsFilter
from tests.factories import make_key_pem

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def console_output():
    """What the configured console handler writes, read from a buffer."""
    [console] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
    ]
    buffer = io.StringIO()
    previous = console.setStream(buffer)
    try:
        yield buffer
    finally:
        console.setStream(previous)


def key_lines(key_pem: str) -> list[str]:
    return key_pem.splitlines()[1:-1]


def test_a_key_in_an_exception_message_and_traceback_is_redacted():
    key_pem = make_key_pem()
    logger = logging.getLogger("acme_orders.tasks")
    with console_output() as output:
        try:
            raise ValueError(f"could not load {key_pem!r}")
        except ValueError:
            logger.exception("step failed for %s", "example.com")
    text = output.getvalue()
    assert "step failed for example.com" in text
    assert "Traceback" in text and "ValueError: could not load" in text
    assert "[private key redacted]" in text
    assert not any(line in text for line in key_lines(key_pem)), text


def test_a_key_in_a_chained_exception_and_a_stack_dump_is_redacted():
    key_pem = make_key_pem()
    logger = logging.getLogger("dns_providers")
    with console_output() as output:
        try:
            try:
                raise RuntimeError(key_pem)
            except RuntimeError as cause:
                raise ValueError("deploy failed") from cause
        except ValueError:
            logger.error("deploy", exc_info=True)
        dump = logger.makeRecord(
            logger.name, logging.WARNING, __file__, 1, "dump", None, None, sinfo=key_pem
        )
        logger.handle(dump)
    text = output.getvalue()
    assert "ValueError: deploy failed" in text and "RuntimeError" in text
    assert text.count("[private key redacted]") == 2, text
    assert not any(line in text for line in key_lines(key_pem)), text


def test_authorization_headers_and_url_passwords_are_redacted():
    token = "0123456789abcdef0123456789abcdef01234567"
    with console_output() as output:
        logger = logging.getLogger("requests")
        logger.info("sent Authorization: Token %s to the API", token)
        logger.info("headers %r", {"HTTP_AUTHORIZATION": f"Bearer {token}", "Accept": "*/*"})
        logger.info("broker postgres://certlife:%s@db:5432/certlife", token)
    text = output.getvalue()
    assert token not in text, text
    assert "Authorization: Token [redacted]" in text
    assert "'Accept': '*/*'" in text
    assert "postgres://certlife:[redacted]@db:5432/certlife" in text


def test_every_handler_a_request_error_reaches_redacts():
    """Django attaches its own console handler to the "django" logger; a request's
    traceback must not reach a handler without the filter."""
    logger: logging.Logger | None = logging.getLogger("django.request")
    reached = []
    while logger is not None:
        reached += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    assert reached
    for handler in reached:
        assert any(isinstance(f, RedactSecretsFilter) for f in handler.filters), handler


def test_celery_worker_and_beat_logging_redacts(tmp_path):
    """Celery replaces Django's log handlers with its own when the worker or beat
    starts (app.log.setup); those redact too, for task loggers as well."""
    key_pem = make_key_pem()
    script = (
        "import logging, sys\n"
        "from certlife.celery import app\n"
        "from celery.utils.log import get_task_logger\n"
        "app.log.setup(loglevel='INFO', colorize=False)\n"
        "key = sys.stdin.read()\n"
        "try:\n"
        "    raise ValueError(key)\n"
        "except ValueError:\n"
        "    logging.getLogger('acme').exception('order failed')\n"
        "    get_task_logger('acme_orders.tasks').exception('task failed')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CERTLIFE_", "DATABASE_"))}
    env["CERTLIFE_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=key_pem,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "order failed" in output and "task failed" in output
    assert output.count("[private key redacted]") >= 2, output
    assert not any(line in output for line in key_lines(key_pem)), output
