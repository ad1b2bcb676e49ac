"""The one place that builds an ACME client; the protocol steps it is used for are in
accounts.acme.gateway.

Use `acme_client_for(account)` to act as a stored account (orders, challenges,
revocation, account updates), `acme_client_for_key(directory_url, key_pem)` before
an account exists (registration, lookup by key) or to sign with a certificate's key
(revocation without the account), and
`accounts.acme.directory.fetch_directory(url)` to read a directory's `meta` without
any key. The network layer is accounts.acme.network, key handling accounts.acme.keys.

Every client:
- signs with the account key: RSA -> RS256, EC P-256 -> ES256, EC P-384 -> ES384;
- connects only where `certlife.outbound` allows (no private networks unless
  CERTLIFE_ALLOWED_PRIVATE_NETWORKS says so, every redirect checked again): the
  directory URL is user input and every other URL comes from the CA;
- sends through `settings.CERTLIFE_HTTPS_PROXY` (docs/features.md A8), verifies TLS with
  `settings.REQUESTS_CA_BUNDLE` when set, has time-outs and a certlife User-Agent;
- retries what is safe to retry through `certlife.retry`, following a `RetryPolicy`:
  a `badNonce` at once (up to `bad_nonce_retries` times), temporary answers (429, 500,
  502, 503, 504) after their `Retry-After` when that is short, and those and
  connection failures otherwise with capped exponential backoff and jitter;
- raises only `accounts.errors.AcmeError` subclasses for CA and network failures. A
  wait longer than `max_inline_wait` is not slept: the error carries `retry_after`
  so a Celery task can reschedule itself with that countdown.

A `ClientNetwork` (and so a `ClientV2`) is not thread-safe: build one per call or
per task run, never share one between threads or keep one in a module global.
"""

from acme import client as acme_client
from acme import messages

from accounts.acme.directory import directory_of
from accounts.acme.keys import jwk_and_algorithm
from accounts.acme.network import BACKGROUND_POLICY, RetryingClientNetwork, RetryPolicy


def acme_client_for_key(
    directory_url: str, key_pem: str, *, policy: RetryPolicy = BACKGROUND_POLICY
) -> acme_client.ClientV2:
    """A client signing with `key_pem` and no account (JWK-signed requests only): for
    newAccount, with or without onlyReturnExisting, and for revoking a certificate with
    its own private key (RFC 8555 section 7.6, acme_orders.revocation)."""
    key, alg = jwk_and_algorithm(key_pem)
    net = RetryingClientNetwork(key, alg=alg, policy=policy)
    return acme_client.ClientV2(directory_of(directory_url, net), net)


def acme_client_for(account, *, policy: RetryPolicy = BACKGROUND_POLICY) -> acme_client.ClientV2:
    """A fresh client acting as `account` (an `AcmeAccount`): requests are signed with
    its key and carry its account URL as `kid`. One per call or task run."""
    client = acme_client_for_key(account.directory_url, account.key_pem, policy=policy)
    client.net.account = messages.RegistrationResource(
        uri=account.account_url, body=messages.Registration()
    )
    return client
