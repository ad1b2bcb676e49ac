"""The built-in HTTP-01 responder answers the CA, which asks with the Host of the name
being validated (never one of ALLOWED_HOSTS), even under CERTLIFE_HTTPS settings; it
answers only open challenges of active requests that use it, and every other request
keeps Django's host check."""

import pytest

from acme_orders.models import CertificateRequest, Challenge
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db

CERTLIFE_HOST = "certlife.example.com"
CUSTOMER_HOST = "www.customer.example"
TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
KEY_AUTHORIZATION = f"{TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"


@pytest.fixture(autouse=True)
def production_like(settings):
    """What an administrator sets when certlife is served behind TLS (CERTLIFE_HTTPS)."""
    settings.ALLOWED_HOSTS = [CERTLIFE_HOST]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = []  # the responder must not depend on it


def open_challenge(*, request_status="pending", token=TOKEN, **fields) -> Challenge:
    account = make_acme_account(name="CA")
    request = CertificateRequest.objects.create(
        account=account,
        domains=[CUSTOMER_HOST],
        challenge_type="http-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        use_builtin_http_responder=True,
        status=request_status,
        order_url="https://ca.example.net/order/1",
    )
    values = {
        "type": "http-01",
        "solver": "builtin-http",
        "status": "pending",
        "authorization_url": "https://ca.example.net/authz/1",
        "token": token,
        "key_authorization": f"{token}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI",
        **fields,
    }
    return Challenge.objects.create(request=request, domain=CUSTOMER_HOST, **values)


def fetch(client, path, host=CUSTOMER_HOST, method="get"):
    return getattr(client, method)(path, HTTP_HOST=host)


@pytest.mark.parametrize("status", ["pending", "processing"])
def test_the_ca_gets_the_key_authorization_for_any_host_over_plain_http(client, status):
    open_challenge(status=status)
    answer = fetch(client, f"/.well-known/acme-challenge/{TOKEN}")
    assert answer.status_code == 200  # not 400 for the Host, not 301 to HTTPS
    assert answer["Content-Type"] == "text/plain"
    assert answer.content.decode() == KEY_AUTHORIZATION
    head = fetch(client, f"/.well-known/acme-challenge/{TOKEN}", method="head")
    assert (head.status_code, head["Content-Type"]) == (200, "text/plain")


@pytest.mark.parametrize(
    ("fields", "request_status"),
    [
        ({"status": "valid"}, "pending"),
        ({"status": "invalid"}, "pending"),
        ({"solver": "manual"}, "pending"),
        ({"type": "dns-01"}, "pending"),
        ({}, "failed"),
        ({}, "available"),
    ],
)
def test_only_open_builtin_challenges_of_active_requests_answer(client, fields, request_status):
    open_challenge(request_status=request_status, **fields)
    answer = fetch(client, f"/.well-known/acme-challenge/{TOKEN}")
    assert (answer.status_code, answer.content) == (404, b"Not found")


def test_an_unknown_token_is_a_404_that_leaks_no_other_token(client):
    open_challenge()
    for token in ("unknown", TOKEN[:-1], TOKEN.lower()):
        answer = fetch(client, f"/.well-known/acme-challenge/{token}")
        assert (answer.status_code, answer.content) == (404, b"Not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/"),  # the dashboard
        ("get", "/acme/letsencrypt/pending/"),
        ("get", "/api/v1/requests/"),
        ("post", f"/.well-known/acme-challenge/{TOKEN}"),
        ("get", f"/.well-known/acme-challenge/{TOKEN}/"),
        ("get", "/.well-known/acme-challenge/not.base64url"),
        ("get", f"/.well-known/acme-challenge/{'a' * 256}"),
        ("get", "/.well-known/acme-challenge/"),
    ],
)
def test_everything_else_with_a_foreign_host_is_still_refused(client, method, path):
    open_challenge()
    assert fetch(client, path, method=method).status_code == 400  # DisallowedHost


def test_certlifes_own_host_still_redirects_to_https_but_not_for_the_ca(client):
    open_challenge()
    assert fetch(client, "/", host=CERTLIFE_HOST).status_code == 301
    answer = fetch(client, f"/.well-known/acme-challenge/{TOKEN}", host=CERTLIFE_HOST)
    assert (answer.status_code, answer.content.decode()) == (200, KEY_AUTHORIZATION)
