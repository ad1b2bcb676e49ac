"""What of an unexpected exception a person sees: its type and a short line, no secret."""

from certlife.unexpected_errors import describe, redacted_traceback
from tests.factories import make_key_pem


def test_type_and_message_on_one_short_line():
    assert describe(KeyError("x")) == "KeyError: 'x'"
    assert describe(RuntimeError()) == "RuntimeError"
    long = describe(ValueError("first line\nsecond line " + "y" * 500))
    assert long.startswith("ValueError: first line second line yyy") and long.endswith("...")
    assert len(long) <= len("ValueError: ") + 300


def test_known_secrets_and_private_keys_are_cut_out():
    key_pem = make_key_pem()
    key_line = key_pem.splitlines()[1]
    error = RuntimeError(f"cannot use {key_pem} nor {key_line!r} with token s3cr3t-t0ken")
    described = describe(error, secrets=["s3cr3t-t0ken", key_pem])
    assert described.startswith("RuntimeError: cannot use [redacted] nor '[redacted]' with token")
    for text in (described, redacted_traceback(error, secrets=["s3cr3t-t0ken", key_pem])):
        assert "s3cr3t-t0ken" not in text
        assert key_line not in text
        assert "PRIVATE KEY" not in text


def test_the_traceback_keeps_chained_exceptions():
    try:
        try:
            {}["missing"]
        except KeyError as inner:
            raise RuntimeError("while reading the order") from inner
    except RuntimeError as error:
        logged = redacted_traceback(error)
    assert "KeyError: 'missing'" in logged
    assert "RuntimeError: while reading the order" in logged
