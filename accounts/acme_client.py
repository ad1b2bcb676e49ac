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
per task run, never share one between threads or keep one in a module global. The
one exception is `reused_acme_client_for`, for the order pipeline's worker: a client
per thread and account, kept in a thread-local for a few minutes.
"""

import hashlib
import threading
import time
from collections import OrderedDict

from acme import client as acme_client
from acme import messages
from django.conf import settings

from accounts.acme.directory import DIRECTORY_CACHE_SECONDS, directory_of
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


# Clients a worker thread keeps (least recently used dropped first), and for how long:
# as long as a directory is cached, so a changed directory is read again as soon.
REUSED_CLIENTS = 16
REUSED_CLIENT_SECONDS = DIRECTORY_CACHE_SECONDS

_reused = threading.local()


def _reuse_key(account) -> tuple:
    # Whatever the client was built from: a new key, URL, proxy or CA bundle builds anew.
    key_digest = hashlib.sha256(account.key_pem.encode()).hexdigest()
    return (
        account.directory_url,
        account.account_url,
        key_digest,
        settings.CERTLIFE_HTTPS_PROXY,
        settings.REQUESTS_CA_BUNDLE,
    )


def reused_acme_client_for(account) -> acme_client.ClientV2:
    """Like `acme_client_for`, but kept by this thread for the next task run with the
    same account (docs/performance.md): the TLS connection to the CA and the nonce of
    its last answer carry over, saving a handshake and a newNonce per step. Only for
    code that runs in one thread at a time with the client (a Celery task)."""
    clients: OrderedDict | None = getattr(_reused, "clients", None)
    if clients is None:
        clients = _reused.clients = OrderedDict()
    key = _reuse_key(account)
    now = time.monotonic()
    kept = clients.pop(key, None)
    if kept is None or kept[0] <= now:
        if kept is not None:
            kept[1].net.session.close()
        kept = (now + REUSED_CLIENT_SECONDS, acme_client_for(account))
    clients[key] = kept
    while len(clients) > REUSED_CLIENTS:
        _, (_, dropped) = clients.popitem(last=False)
        dropped.net.session.close()
    return kept[1]


def forget_reused_acme_clients() -> None:
    """Drop this thread's kept clients (after a CA or network error: the next step
    starts afresh)."""
    for _, client in getattr(_reused, "clients", {}).values():
        client.net.session.close()
    _reused.clients = OrderedDict()
