"""ACME directories, cached for a few minutes per URL (the directory rarely changes
and every client needs it)."""

import copy
import threading
import time

import josepy as jose
from acme import messages

from accounts.acme.network import INTERACTIVE_POLICY, RetryingClientNetwork, RetryPolicy
from accounts.errors import NotAcmeServerError

DIRECTORY_CACHE_SECONDS = 300

_directory_cache: dict[str, tuple[float, dict]] = {}
_directory_cache_lock = threading.Lock()


def forget_cached_directories() -> None:
    with _directory_cache_lock:
        _directory_cache.clear()


def _directory_json(url: str, net: RetryingClientNetwork) -> dict:
    with _directory_cache_lock:
        cached = _directory_cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        body = net.get(url).json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not {"newAccount", "newNonce", "newOrder"} <= body.keys():
        raise NotAcmeServerError(
            f"{url} is not an ACME directory (no newAccount, newNonce and newOrder).",
            permanent=True,
        )
    with _directory_cache_lock:
        _directory_cache[url] = (time.monotonic() + DIRECTORY_CACHE_SECONDS, body)
    return body


def directory_of(url: str, net: RetryingClientNetwork) -> messages.Directory:
    # Directory.from_json changes the mapping it is given: hand it a copy of the cache.
    body = copy.deepcopy(_directory_json(url, net))
    try:
        return messages.Directory.from_json(body)
    except jose.DeserializationError:
        raise NotAcmeServerError(
            f"{url} has an ACME directory with an unreadable 'meta'.", permanent=True
        ) from None


def fetch_directory(url: str, *, policy: RetryPolicy = INTERACTIVE_POLICY) -> messages.Directory:
    """The directory at `url` (cached for a few minutes), e.g. for `meta.termsOfService`."""
    return directory_of(url, RetryingClientNetwork(None, policy=policy))
