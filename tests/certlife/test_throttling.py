"""Throttling with the real settings: failed log-ins lock a user name and an address
(login page and admin alike) until the lockout ends or an administrator unlocks it;
bad API tokens lock an address; API calls are rate-limited per user."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import F
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from certlife.throttling import client_address

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
LIMIT = settings.CERTLIFE_LOGIN_FAILURE_LIMIT
LOCKOUT = settings.CERTLIFE_LOGIN_LOCKOUT


def log_in(client, user, password: str, *, address: str = "127.0.0.1", path: str = "/login/"):
    return client.post(path, {"username": user.username, "password": password}, REMOTE_ADDR=address)


def assert_locked_out(response):
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert response["Retry-After"] == str(int(LOCKOUT.total_seconds()))


def failures_happened_ago(delta: timedelta):
    """Move the recorded failed log-ins back in time (django-axes keeps them as rows)."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def test_settings_are_the_documented_defaults():
    assert settings.CERTLIFE_LOGIN_FAILURE_LIMIT == 5
    assert settings.CERTLIFE_LOGIN_LOCKOUT.total_seconds() == 15 * 60
    assert settings.CERTLIFE_API_RATE == "600/minute"


def test_failed_log_ins_lock_the_user_name_from_every_address(client, operator):
    for number in range(LIMIT - 1):
        response = log_in(client, operator, "wrong", address=f"10.0.0.{number}")
        assert response.status_code == 200, number
    # The failure that reaches the limit is answered with the lockout already.
    assert_locked_out(log_in(client, operator, "wrong", address="10.0.0.99"))
    assert_locked_out(log_in(client, operator, operator.raw_password, address="10.0.1.1"))
    assert "_auth_user_id" not in client.session


def test_failed_log_ins_lock_the_address_for_every_user_name(client, operator, auditor):
    log_in(client, operator, "wrong", address="10.9.9.9")
    for number in range(LIMIT - 1):
        client.post(
            "/login/", {"username": f"guess{number}", "password": "x"}, REMOTE_ADDR="10.9.9.9"
        )
    assert_locked_out(log_in(client, auditor, auditor.raw_password, address="10.9.9.9"))
    # The same user from another address is not locked: fewer than LIMIT failures as a name.
    assert log_in(client, auditor, auditor.raw_password, address="10.8.8.8").status_code == 302


def test_the_admin_log_in_is_guarded_too(client, administrator):
    for _ in range(LIMIT):
        log_in(client, administrator, "wrong", path="/admin/login/")
    assert_locked_out(log_in(client, administrator, administrator.raw_password))
    assert_locked_out(
        log_in(client, administrator, administrator.raw_password, path="/admin/login/")
    )


def test_the_lockout_ends_after_the_lockout_time(client, operator):
    for _ in range(LIMIT):
        log_in(client, operator, "wrong")
    failures_happened_ago(LOCKOUT - timedelta(minutes=1))
    assert_locked_out(log_in(client, operator, operator.raw_password))
    failures_happened_ago(LOCKOUT + timedelta(minutes=1))
    assert log_in(client, operator, operator.raw_password).status_code == 302


def test_a_successful_log_in_resets_the_count(client, operator):
    for _ in range(LIMIT - 1):
        log_in(client, operator, "wrong")
    assert log_in(client, operator, operator.raw_password).status_code == 302
    client.post("/logout/")
    for _ in range(LIMIT - 1):
        log_in(client, operator, "wrong")
    assert log_in(client, operator, operator.raw_password).status_code == 302


def test_an_administrator_unlocks_with_axes_reset(client, operator):
    for _ in range(LIMIT):
        log_in(client, operator, "wrong")
    assert_locked_out(log_in(client, operator, operator.raw_password))
    call_command("axes_reset_username", operator.username)
    assert log_in(client, operator, operator.raw_password).status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """The time DRF's throttles read, moved by hand."""
    now = [1_900_000_000.0]
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now[0])
    return now


def token_client(token: str, address: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_bad_tokens_lock_the_address_then_it_unlocks(clock, auditor):
    good = Token.objects.create(user=auditor).key
    for number in range(LIMIT):
        bad = token_client(f"{number:040x}", address="10.7.7.7").get("/api/v1/audit-events/")
        assert bad.status_code == 401, number
    locked = token_client(good, address="10.7.7.7").get("/api/v1/audit-events/")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(LOCKOUT.total_seconds()))
    assert "throttled" in locked.json()["detail"]
    # Forwarded-For is written by the client: it does not move the lock elsewhere.
    spoofed = token_client(good, address="10.7.7.7")
    assert spoofed.get("/api/v1/audit-events/", HTTP_X_FORWARDED_FOR="10.6.6.6").status_code == 429
    assert token_client(good, address="10.5.5.5").get("/api/v1/audit-events/").status_code == 200

    clock[0] += LOCKOUT.total_seconds() + 1
    assert token_client(good, address="10.7.7.7").get("/api/v1/audit-events/").status_code == 200


def test_api_calls_are_rate_limited_per_user(clock, api_as, auditor, operator):
    allowed, period = settings.CERTLIFE_API_RATE.split("/")
    assert period == "minute"
    api = api_as(auditor)
    for number in range(int(allowed)):
        assert api.get("/api/v1/audit-events/", {"page_size": 1}).status_code == 200, number
    throttled = api.get("/api/v1/audit-events/")
    assert throttled.status_code == 429
    assert throttled["Content-Type"] == "application/json"
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert "throttled" in throttled.json()["detail"]
    assert api_as(operator).get("/api/v1/certificates/").status_code == 200

    clock[0] += 61
    assert api.get("/api/v1/audit-events/").status_code == 200


def test_the_default_cache_is_shared_by_processes(tmp_path):
    """The web server and the worker run in separate processes; counts must be shared."""
    assert settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache")
    assert Path(settings.CACHES["default"]["LOCATION"]) == settings.DATA_DIR / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CACHE_"))}
    env["CERTLIFE_DATA_DIR"] = str(settings.DATA_DIR)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.core.cache import cache; cache.set('from-another-process', 42)",
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert cache.get("from-another-process") == 42


def test_a_bad_rate_names_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTLIFE_")}
    env.update(CERTLIFE_DATA_DIR=str(tmp_path), CERTLIFE_API_RATE="lots")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "CERTLIFE_API_RATE" in result.stderr


def test_the_client_address_trusts_forwarded_for_only_behind_a_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7")
    settings.CERTLIFE_BEHIND_PROXY = False
    assert client_address(request) == "10.0.0.1"
    settings.CERTLIFE_BEHIND_PROXY = True
    assert client_address(request) == "192.0.2.7"  # what the proxy appended


def test_drf_throttles_do_not_trust_forwarded_for_without_a_proxy():
    request = APIRequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert AnonRateThrottle().get_ident(Request(request)) == "10.0.0.1"
