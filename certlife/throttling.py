"""Throttling (spec S1, S4): failed log-ins lock out, API calls are rate-limited.

The login form and the admin's log-in are guarded by django-axes (settings AXES_*):
after CERTLIFE_LOGIN_FAILURE_LIMIT failures a user name, and separately a client
address, is locked for CERTLIFE_LOGIN_LOCKOUT_MINUTES. Tokens are not typed into a
form, so the API guards them here, by address and with the same limits; every API call
is also rate-limited per user by DRF (CERTLIFE_API_RATE). Counts live in the cache
shared by every process (CACHES) or, for axes, in the database.
"""

from django.conf import settings
from django.shortcuts import render
from rest_framework import exceptions, throttling
from rest_framework.authentication import TokenAuthentication, get_authorization_header


def client_address(request) -> str:
    """The address to throttle: REMOTE_ADDR, or behind a trusted reverse proxy
    (CERTLIFE_BEHIND_PROXY) the address that proxy appended to X-Forwarded-For.
    Anything else in X-Forwarded-For is written by the client and never trusted."""
    if settings.CERTLIFE_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a log-in while the user name or the address is locked."""
    lockout_seconds = int(settings.CERTLIFE_LOGIN_LOCKOUT.total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {"lockout_minutes": lockout_seconds // 60},
        status=429,
    )
    response["Retry-After"] = str(lockout_seconds)
    return response


class FailedTokenThrottle(throttling.SimpleRateThrottle):
    """Failed token authentications per client address: CERTLIFE_LOGIN_FAILURE_LIMIT
    within CERTLIFE_LOGIN_LOCKOUT_MINUTES lock the address for the rest of that time."""

    scope = "failed_token"

    def __init__(self):
        self.num_requests = settings.CERTLIFE_LOGIN_FAILURE_LIMIT
        self.duration = int(settings.CERTLIFE_LOGIN_LOCKOUT.total_seconds())
        self.rate = f"{self.num_requests}/{self.duration}s"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def seconds_locked(self, request) -> float | None:
        """How long `request`'s address must wait before trying a token, or None."""
        self._load_history(request)
        if len(self.history) < self.num_requests:
            return None
        # Newest first: the lock ends when the limit-th newest failure leaves the window.
        return self.duration - (self.now - self.history[self.num_requests - 1])

    def record_failure(self, request) -> None:
        self._load_history(request)
        self.throttle_success()  # DRF's name for "count this one and save"

    def _load_history(self, request) -> None:
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [
            moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration
        ]


class ThrottledTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>`; an address that sent too many bad tokens is
    answered 429 with Retry-After, before its token is looked up, until the lockout
    ends (a correct token from that address waits too, as on the login form)."""

    def authenticate(self, request):
        scheme = get_authorization_header(request).split()[:1]
        if [word.lower() for word in scheme] != [self.keyword.lower().encode()]:
            return None
        throttle = FailedTokenThrottle()
        wait = throttle.seconds_locked(request)
        if wait is not None:
            raise exceptions.Throttled(wait)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise
