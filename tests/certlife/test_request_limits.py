"""Cheap refusals: an oversized body is refused from its Content-Length before it is
read, the API answers JSON 400s for every body limit, and no JSON body can make the
API fail with a 500 (deep nesting, numbers out of range)."""

import codecs
import json
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from tests.harness.process import ServiceProcess

REPO = Path(__file__).resolve().parents[2]
TWENTY_MB = 20 * 1024 * 1024
LIST_ENDPOINTS = [
    "/api/v1/accounts/",
    "/api/v1/accounts/import/",
    "/api/v1/dns-accounts/",
    "/api/v1/requests/",
]


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the oversized body was read")

    readline = read


def post_announcing(client, path: str, length: int):
    return client.generic(
        "POST",
        path,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": UnreadableBody()},
    )


@pytest.mark.django_db
def test_an_api_body_over_the_limit_is_a_json_400_and_never_read(api_client, api_as, operator):
    """Refused first, before authentication (anonymous) and before parsing (operator)."""
    for client in (api_client, api_as(operator)):
        response = post_announcing(client, "/api/v1/requests/", TWENTY_MB)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "non_field_errors": [
                "The request body is too large: at most 262144 bytes are accepted."
            ]
        }


@pytest.mark.django_db
def test_a_form_body_over_the_limit_is_a_plain_400_page_and_never_read(client):
    response = post_announcing(client, "/login/", settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"Bad Request" in response.content


@pytest.mark.django_db
def test_the_largest_legitimate_request_fits(api_as, operator):
    """100 names of the longest length, an imported 4096-bit key: the limit is no
    obstacle (the answer names the unknown account, not the size)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    label = "a" * 61
    body = {
        "account": 999999,
        "domains": [f"{label}.{label}.{label}.n{number:03}.example.com" for number in range(100)],
        "challenge_type": "dns-01",
        "key_algorithm": "RSA",
        "key_size": 4096,
        "keystore_type": "PKCS12",
        "keystore_password": "p" * 128,
        "key_policy": "import",
        "imported_key_pem": key_pem,
    }
    assert len(json.dumps(body)) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 8
    response = api_as(operator).post("/api/v1/requests/", body, format="json")
    assert response.status_code == 400
    assert "account" in response.json() and "non_field_errors" not in response.json()


@pytest.mark.django_db
def test_too_many_form_fields_is_a_json_400_naming_the_rule(api_as, administrator):
    fields = "&".join(f"field{number}=x" for number in range(501))
    response = api_as(administrator).generic(
        "POST", "/api/v1/dns-accounts/", fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Too many form fields: at most 500 are accepted."]
    }


def post_json_text(api, path: str, body: str):
    return api.generic("POST", path, body, content_type="application/json")


def body_with_every_field(number: str) -> str:
    fields = ["name", "account", "key_size", "dns_account", "port", "email", "directory"]
    return "{" + ", ".join(f'"{field}": {number}' for field in fields) + "}"


@pytest.mark.django_db
def test_deeply_nested_json_is_a_400(api_as, administrator):
    api = api_as(administrator)
    for path in LIST_ENDPOINTS:
        for depth in (33, 5000, 100_000):
            body = '{"name": ' + "[" * depth + "]" * depth + "}"
            response = post_json_text(api, path, body)
            assert response.status_code == 400, (path, depth)
            assert "JSON" in response.json()["detail"]


@pytest.mark.django_db
def test_a_compressing_charset_is_refused(api_as, administrator):
    body = codecs.encode(b'{"name": "' + b"x" * 1_000_000 + b'"}', "bz2_codec")
    response = api_as(administrator).generic(
        "POST", "/api/v1/dns-accounts/", body, content_type="application/json; charset=bz2_codec"
    )
    assert response.status_code == 400
    assert "Unsupported charset" in response.json()["detail"]


@pytest.mark.django_db
def test_numbers_out_of_range_are_a_400(api_as, administrator):
    api = api_as(administrator)
    for path in LIST_ENDPOINTS:
        for number in ("1" + "0" * 4000, "-" + "9" * 20, str(2**63), "1e999", "-1e400", "NaN"):
            response = post_json_text(api, path, body_with_every_field(number))
            assert response.status_code == 400, (path, number)
            detail = response.json()["detail"]
            assert "number out of range" in detail or "NaN is not valid JSON" in detail


@pytest.mark.django_db
def test_large_numbers_in_range_are_validated_not_a_500(api_as, administrator):
    api = api_as(administrator)
    for path in LIST_ENDPOINTS:
        for number in (str(2**63 - 1), str(-(2**63) + 1), "1e300", "0.5"):
            response = post_json_text(api, path, body_with_every_field(number))
            assert response.status_code == 400, (path, number, response.content)


GUNICORN_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@pytest.fixture
def gunicorn(tmp_path):
    """The web server as `make run` starts it, with one worker thread, so a request
    that held it would delay the next one."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "CELERY_", "CERTLIFE_", "DJANGO_", "SECRET_KEY"))
    }
    env["CERTLIFE_DATA_DIR"] = str(tmp_path / "data")
    server = ServiceProcess(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "certlife.wsgi", "--bind", "127.0.0.1:0"]
        + ["--workers", "1", "--threads", "1"],
        tmp_path / "gunicorn.log",
        env=env,
        cwd=REPO,
    ).start()
    # Port 0: gunicorn binds a port of the kernel's choice and says which in its log.
    server.wait_ready(lambda: GUNICORN_LISTENING.search(server.this_run_log()), timeout=60)
    port = int(GUNICORN_LISTENING.search(server.this_run_log())[1])
    base = f"http://127.0.0.1:{port}"
    server.wait_ready(lambda: requests.get(f"{base}/health/", timeout=2).ok, timeout=60)
    yield port
    server.stop()


@pytest.mark.e2e
def test_gunicorn_refuses_a_20_mb_upload_at_once_and_serves_the_next_request(gunicorn):
    upload = socket.create_connection(("127.0.0.1", gunicorn), timeout=10)
    upload.sendall(
        b"POST /api/v1/requests/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n" + f"Content-Length: {TWENTY_MB}\r\n\r\n".encode()
    )
    started = time.monotonic()

    def keep_sending():
        try:
            for _ in range(TWENTY_MB // 65536):
                upload.sendall(b"[" * 65536)
        except OSError:
            pass  # the server closed the connection: the rest was never read

    sender = threading.Thread(target=keep_sending, daemon=True)
    sender.start()
    answer = b""
    while not answer.endswith(b"0\r\n\r\n"):
        chunk = upload.recv(65536)
        assert chunk, answer
        answer += chunk
    refused_after = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b'{"non_field_errors": ["The request body is too large' in answer
    assert refused_after < 1, refused_after

    next_started = time.monotonic()
    assert requests.get(f"http://127.0.0.1:{gunicorn}/health/", timeout=10).ok
    assert time.monotonic() - next_started < 1
    sender.join(timeout=10)
    upload.close()
