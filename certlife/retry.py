"""The one retry policy for outbound HTTP: the ACME network layer, the DNS providers'
HTTP client, ClouDNS and the Azure transport all retry through `call_with_retries`.

- Temporary answers are 429, 500, 502, 503 and 504 (`is_temporary_status`), plus
  failures to connect; callers say which of their errors those are.
- A `Retry-After` (delta-seconds or HTTP-date, `parse_retry_after`) is honoured when it
  is short; a longer one is not slept but raised to the caller, whose error carries
  `retry_after` so a Celery task can reschedule itself.
- Otherwise waits grow exponentially from `backoff_base` up to `backoff_cap`, with
  jitter (`backoff_seconds`).
- No retry inside a retry: a `call_with_retries` running inside another one makes a
  single attempt, so the outer loop alone decides how many attempts are made.
"""

import contextvars
import datetime
import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

TEMPORARY_STATUSES = frozenset({429, 500, 502, 503, 504})

_inside_retry_loop: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "inside_retry_loop", default=False
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries before it raises."""

    retries: int = 3  # temporary failures retried after a wait: retries + 1 attempts
    immediate_retries: int = 0  # failures a fresh attempt fixes at once (ACME badNonce)
    max_inline_wait: float = 10.0  # longer Retry-After waits are left to the caller
    backoff_base: float = 0.5
    backoff_cap: float = 8.0

    @property
    def max_attempts(self) -> int:
        return self.retries + self.immediate_retries + 1


def is_temporary_status(status: int) -> bool:
    """Whether an HTTP answer with this status may succeed if asked again later."""
    return status in TEMPORARY_STATUSES


def parse_retry_after(value: str | None, now: datetime.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (RFC 9110 10.2.3): delta-seconds or an
    HTTP-date, never negative; None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, per RFC 5322
        when = when.replace(tzinfo=datetime.UTC)
    now = now or datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """The wait before retry number `attempt` (1, 2, ...): base * 2^(attempt - 1),
    capped at `cap`, with jitter between half of that and all of it."""
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


def _no_retry_after(error: BaseException) -> float | None:
    return getattr(error, "retry_after", None)


def call_with_retries(
    send: Callable[[], T],
    *,
    policy: RetryPolicy,
    retry_on: tuple[type[BaseException], ...],
    is_temporary: Callable[[BaseException], bool] = lambda error: True,
    is_immediate: Callable[[BaseException], bool] = lambda error: False,
    retry_after: Callable[[BaseException], float | None] = _no_retry_after,
) -> T:
    """`send()`'s result, calling it again while it raises one of `retry_on` that
    `is_temporary` (after a wait) or `is_immediate` (at once, for a fresh nonce and the
    like), within `policy`. Anything else, a spent budget or a Retry-After longer than
    `policy.max_inline_wait` raises the last error unchanged."""
    if _inside_retry_loop.get():
        return send()
    token = _inside_retry_loop.set(True)
    try:
        return _retry_loop(send, policy, retry_on, is_temporary, is_immediate, retry_after)
    finally:
        _inside_retry_loop.reset(token)


def _retry_loop(send, policy, retry_on, is_temporary, is_immediate, retry_after):
    waited = immediate = 0
    while True:
        try:
            return send()
        except retry_on as error:
            if is_immediate(error) and immediate < policy.immediate_retries:
                immediate += 1
                logger.debug("%s Trying again at once (%d).", error, immediate)
                continue
            if not is_temporary(error) or is_immediate(error) or waited >= policy.retries:
                raise
            waited += 1
            wait = retry_after(error)
            if wait is None:
                wait = backoff_seconds(waited, policy.backoff_base, policy.backoff_cap)
            if wait > policy.max_inline_wait:
                raise
            logger.info("%s Retrying in %.1f s.", error, wait)
            time.sleep(wait)
