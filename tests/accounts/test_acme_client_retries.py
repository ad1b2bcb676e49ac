"""The network layer of accounts.acme (accounts.acme.network) against a small local HTTP server."""

import time

import pytest
from acme import messages
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from accounts.acme.directory import fetch_directory
from accounts.acme.keys import generate_account_key_pem, private_key_to_pem
from accounts.acme.network import RetryPolicy
from accounts.acme_client import acme_client_for_key
from accounts.errors import (
    CaBusyError,
    CaProblemError,
    CaUnreachableError,
    NotAcmeServerError,
    UnsupportedAccountKeyError,
)
from tests.accounts.fake_ca import CannedAnswer, FakeCa, problem

FAST = RetryPolicy(backoff_base=0.05, backoff_cap=0.2, max_inline_wait=2.0, read_timeout=5)
ACCOUNT_CREATED = CannedAnswer(201, {"status": "valid"}, {"Location": "http://x/acct/1"})


@pytest.fixture
def fake_ca(allow_loopback):
    with FakeCa() as ca:
        yield ca


@pytest.fixture
def waits(monkeypatch):
    """Every wait the retry layer takes, in seconds (taken for real): what it waited,
    not how long the test took, which depends on how busy the machine is."""
    taken = []
    real_sleep = time.sleep

    def sleep(seconds):
        taken.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return taken


def _post_new_account(ca: FakeCa, policy: RetryPolicy = FAST, key_pem: str | None = None):
    client = acme_client_for_key(
        ca.directory_url, key_pem or generate_account_key_pem(), policy=policy
    )
    return client.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))


def test_bad_nonce_is_retried_at_once_several_times(fake_ca, waits):
    fake_ca.script = [problem(400, "badNonce", "stale nonce")] * 4

    account = _post_new_account(fake_ca)

    assert account.uri == fake_ca.url + "/acct/1"
    assert len(fake_ca.posts()) == 5  # four refusals, then the answer
    assert waits == []  # no waiting between nonce retries
    nonces = [post.jws_protected_header()["nonce"] for post in fake_ca.posts()]
    assert len(set(nonces)) == 5  # every attempt is signed again with a fresh nonce


def test_bad_nonce_gives_up_after_the_policy_limit(fake_ca):
    fake_ca.script = [problem(400, "badNonce", "stale nonce")] * 10

    with pytest.raises(CaProblemError) as raised:
        _post_new_account(fake_ca, RetryPolicy(bad_nonce_retries=3))

    assert len(fake_ca.posts()) == 4
    assert raised.value.problem_code == "badNonce" and raised.value.permanent is False


def test_429_waits_for_a_short_retry_after_then_succeeds(fake_ca, waits):
    fake_ca.script = [problem(429, "rateLimited", "slow down", **{"Retry-After": "1"})]

    _post_new_account(fake_ca)

    assert waits == [1]
    assert len(fake_ca.posts()) == 2


def test_long_retry_after_is_not_slept_but_handed_to_the_caller(fake_ca, waits):
    fake_ca.script = [
        problem(429, "rateLimited", "too many new accounts", **{"Retry-After": "3600"})
    ]

    with pytest.raises(CaBusyError) as raised:
        _post_new_account(fake_ca)

    error = raised.value
    assert waits == []
    assert (error.permanent, error.retry_after, error.status) == (False, 3600, 429)
    assert error.problem_code == "rateLimited"
    assert "too many new accounts" in str(error) and "rate limiting" in str(error)
    assert len(fake_ca.posts()) == 1


def test_503_with_retry_after_is_retried(fake_ca):
    fake_ca.script = [CannedAnswer(503, "busy", {"Content-Type": "text/plain", "Retry-After": "0"})]

    _post_new_account(fake_ca)

    assert len(fake_ca.posts()) == 2


def test_server_errors_back_off_exponentially_then_give_up(fake_ca, waits):
    fake_ca.script = [CannedAnswer(500, "oops", {"Content-Type": "text/plain"})] * 2
    _post_new_account(fake_ca)
    # Two backoffs of 0.025-0.05 s and 0.05-0.1 s (half to full of base * 2^n).
    first, second = waits
    assert 0.025 <= first <= 0.05 and 0.05 <= second <= 0.1
    assert len(fake_ca.posts()) == 3

    fake_ca.received.clear()
    fake_ca.script = [problem(502, "serverInternal", "gateway down")] * 10
    with pytest.raises(CaBusyError) as raised:
        _post_new_account(fake_ca, RetryPolicy(busy_retries=2, backoff_base=0.01))
    assert len(fake_ca.posts()) == 3
    assert raised.value.permanent is False and raised.value.retry_after is None
    assert "gateway down" in str(raised.value) and "HTTP 502" in str(raised.value)


def test_4xx_problem_becomes_a_permanent_error_naming_type_and_detail(fake_ca):
    fake_ca.script = [problem(400, "invalidContact", 'contact email "x" is invalid')]

    with pytest.raises(CaProblemError) as raised:
        _post_new_account(fake_ca)

    error = raised.value
    assert error.permanent is True and error.status == 400
    assert error.problem_type == "urn:ietf:params:acme:error:invalidContact"
    assert str(error) == (
        f"The CA at 127.0.0.1:{fake_ca.server.server_port} refused the request: "
        'contact email "x" is invalid (invalidContact).'
    )
    # Still an acme.messages.Error, so the library's own checks keep working.
    assert isinstance(error, messages.Error) and error.code == "invalidContact"
    assert len(fake_ca.posts()) == 1


def test_error_answer_nonce_is_reused(fake_ca):
    fake_ca.script = [problem(400, "badNonce", "stale")]
    _post_new_account(fake_ca)
    # One HEAD for the first nonce; the retry used the nonce of the error answer.
    assert [r.method for r in fake_ca.received].count("HEAD") == 1


def test_not_an_acme_server(allow_loopback):
    with FakeCa(directory={"hello": "world"}) as not_acme:
        with pytest.raises(NotAcmeServerError, match="is not an ACME directory"):
            fetch_directory(not_acme.directory_url)
        with pytest.raises(NotAcmeServerError, match="HTTP 404 without an ACME problem"):
            fetch_directory(not_acme.url + "/nothing-here")


def test_unreachable_ca_is_a_temporary_error(allow_loopback, closed_port):
    with pytest.raises(CaUnreachableError) as raised:
        fetch_directory(f"https://127.0.0.1:{closed_port}/dir", policy=FAST)
    assert raised.value.permanent is False
    assert f"Cannot reach the CA at 127.0.0.1:{closed_port}" in str(raised.value)


@pytest.mark.parametrize(
    ("private_key", "algorithm"),
    [
        (rsa.generate_private_key(65537, 2048), "RS256"),
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (ec.generate_private_key(ec.SECP384R1()), "ES384"),
    ],
    ids=["rsa", "p256", "p384"],
)
def test_account_key_type_chooses_the_signature_algorithm(fake_ca, private_key, algorithm):
    _post_new_account(fake_ca, key_pem=private_key_to_pem(private_key))
    header = fake_ca.posts()[0].jws_protected_header()
    assert header["alg"] == algorithm
    assert header["url"] == fake_ca.url + "/account" and "jwk" in header


@pytest.mark.parametrize(
    "private_key",
    [ec.generate_private_key(ec.SECP521R1()), rsa.generate_private_key(65537, 1024)],  # noqa: S505  (must be refused)
    ids=["p521", "rsa1024"],
)
def test_unsupported_account_keys_are_refused(private_key):
    with pytest.raises(UnsupportedAccountKeyError):
        acme_client_for_key("http://127.0.0.1:9/dir", private_key_to_pem(private_key))


def test_requests_carry_user_agent_and_go_through_the_configured_proxy(settings, fake_ca):
    settings.CERTLIFE_HTTPS_PROXY = fake_ca.url  # the fake CA plays the proxy as well
    directory = fetch_directory("http://ca.example.test/directory")

    assert directory.meta.terms_of_service == fake_ca.url + "/terms"
    (request,) = fake_ca.received
    # A proxied plain-HTTP request names the whole target URL (RFC 9112 absolute-form).
    assert request.path == "http://ca.example.test/directory"
    assert request.headers["User-Agent"].startswith("certlife/")
