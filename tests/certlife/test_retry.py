"""The one retry policy for outbound HTTP (certlife.retry)."""

import datetime
import time

import pytest

from certlife.retry import (
    RetryPolicy,
    backoff_seconds,
    call_with_retries,
    is_temporary_status,
    parse_retry_after,
)

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
NO_WAIT = RetryPolicy(retries=3, backoff_base=0.0, backoff_cap=0.0)


class Flaky(Exception):
    def __init__(self, retry_after=None, temporary=True):
        super().__init__("flaky")
        self.retry_after = retry_after
        self.temporary = temporary


@pytest.fixture
def waits(monkeypatch):
    taken = []
    monkeypatch.setattr(time, "sleep", taken.append)
    return taken


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Fri, 02 Jan 2026 03:05:05 GMT", 60.0),
        ("Fri, 02 Jan 2026 03:00:00 GMT", 0.0),  # in the past
        ("99999999999999999999", 99999999999999999999.0),  # huge: the caller decides
        ("", None),
        (None, None),
        ("soon", None),
        ("1.5", None),
        ("-3", None),
        ("²", None),  # str.isdigit() says yes; not delta-seconds
        ("١٢", None),  # Arabic-Indic digits
        ("Fri, 99 Foo 2026 99:99:99 GMT", None),
    ],
)
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("status", "temporary"),
    [
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (501, False),
        (505, False),
        (404, False),
        (200, False),
    ],
)
def test_temporary_statuses(status, temporary):
    assert is_temporary_status(status) is temporary


def test_backoff_grows_and_is_capped_with_jitter():
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (500, 4.0)]:
        waits = {backoff_seconds(attempt, 0.5, 4.0) for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1  # jitter


def test_temporary_failures_are_retried_up_to_the_policy(waits):
    calls = []

    def send():
        calls.append(1)
        raise Flaky()

    with pytest.raises(Flaky):
        call_with_retries(send, policy=NO_WAIT, retry_on=(Flaky,))
    assert len(calls) == NO_WAIT.max_attempts == 4
    assert len(waits) == 3


def test_success_after_a_failure_returns_the_answer(waits):
    answers = iter([Flaky(retry_after=2.0), "done"])

    def send():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call_with_retries(send, policy=NO_WAIT, retry_on=(Flaky,)) == "done"
    assert waits == [2.0]  # the server's Retry-After, not the backoff


def test_permanent_failures_and_long_waits_are_raised_at_once(waits):
    calls = []

    def send(error):
        calls.append(1)
        raise error

    permanent = Flaky(temporary=False)
    with pytest.raises(Flaky) as raised:
        call_with_retries(
            lambda: send(permanent),
            policy=NO_WAIT,
            retry_on=(Flaky,),
            is_temporary=lambda error: error.temporary,
        )
    assert raised.value is permanent and len(calls) == 1

    long_wait = Flaky(retry_after=3600)
    with pytest.raises(Flaky) as raised:
        call_with_retries(lambda: send(long_wait), policy=NO_WAIT, retry_on=(Flaky,))
    assert raised.value.retry_after == 3600 and len(calls) == 2
    assert waits == []


def test_other_errors_are_not_retried(waits):
    calls = []

    def send():
        calls.append(1)
        raise KeyError("bug")

    with pytest.raises(KeyError):
        call_with_retries(send, policy=NO_WAIT, retry_on=(Flaky,))
    assert len(calls) == 1


def test_immediate_retries_have_their_own_budget_and_no_wait(waits):
    calls = []

    def send():
        calls.append(1)
        raise Flaky()

    policy = RetryPolicy(retries=3, immediate_retries=5)
    with pytest.raises(Flaky):
        call_with_retries(send, policy=policy, retry_on=(Flaky,), is_immediate=lambda e: True)
    assert len(calls) == 6 and waits == []


def test_no_retry_inside_a_retry(waits):
    inner_calls = []

    def inner_send():
        inner_calls.append(1)
        raise Flaky()

    def outer_send():
        return call_with_retries(inner_send, policy=NO_WAIT, retry_on=(Flaky,))

    with pytest.raises(Flaky):
        call_with_retries(outer_send, policy=NO_WAIT, retry_on=(Flaky,))
    assert len(inner_calls) == NO_WAIT.max_attempts  # 4, not 16
