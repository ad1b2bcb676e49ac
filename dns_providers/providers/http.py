"""HTTP for the providers that speak JSON over HTTPS with `requests`: the outbound
proxy (CERTLIFE_HTTPS_PROXY), time-outs, and retries of temporary failures through
`certlife.retry` with `RETRY_POLICY`, so every provider behaves the same towards a
flaky API."""

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from django.conf import settings

from certlife.retry import RetryPolicy, call_with_retries, is_temporary_status, parse_retry_after
from dns_providers.errors import DnsProviderError

TIMEOUT_SECONDS = (10, 30)  # connect, read
# Four attempts in all, about 7 s of backoff at worst, so a worker is not held long; a
# longer outage (or a longer Retry-After) fails the step as temporary and the task
# retries later.
T = TypeVar("T")
RETRY_POLICY = RetryPolicy(retries=3, max_inline_wait=10.0, backoff_base=1.0, backoff_cap=4.0)


def endpoint(key: str, default: str) -> str:
    """A provider's API base URL; CERTLIFE_DNS_API_ENDPOINTS (a dict, used by the tests
    and for sovereign clouds) may point it elsewhere."""
    return getattr(settings, "CERTLIFE_DNS_API_ENDPOINTS", {}).get(key, default).rstrip("/")


def outbound_proxies() -> dict[str, str]:
    proxy = settings.CERTLIFE_HTTPS_PROXY
    return {"https": proxy} if proxy else {}


def new_session() -> requests.Session:
    session = requests.Session()
    session.proxies.update(outbound_proxies())
    return session


def with_retries(send: Callable[[], T]) -> T:
    """`send()`, retried on temporary `DnsProviderError`s within `RETRY_POLICY`."""
    return call_with_retries(
        send,
        policy=RETRY_POLICY,
        retry_on=(DnsProviderError,),
        is_temporary=lambda error: not getattr(error, "permanent", True),
    )


class JsonApiClient:
    """Calls one provider's API. `describe_error(response)` turns an error answer into
    the provider's own words; the status decides whether it is temporary."""

    def __init__(
        self,
        provider_label: str,
        base_url: str,
        *,
        headers: dict[str, str],
        describe_error: Callable[[requests.Response], str],
    ):
        self.provider_label = provider_label
        self.base_url = base_url
        self.describe_error = describe_error
        self.session = new_session()
        self.session.headers.update(headers)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """The response (status < 400), after retrying temporary failures; else
        DnsProviderError."""
        return with_retries(lambda: self.request_once(method, path, **kwargs))

    def request_once(self, method: str, path: str, **kwargs) -> requests.Response:
        """One attempt: the response (status < 400), else DnsProviderError carrying the
        answer's Retry-After."""
        url = self.base_url + path
        try:
            response = self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            raise self._unreachable(url, error) from None
        if response.status_code >= 400:
            failure = self._failure(method, path, response)
            failure.retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise failure
        return response

    def _unreachable(self, url: str, error: requests.RequestException) -> DnsProviderError:
        host = urlsplit(url).netloc
        kind = "timed out" if isinstance(error, requests.Timeout) else "could not connect"
        return DnsProviderError(
            f"{self.provider_label}: {kind} to {host} ({type(error).__name__}); check the "
            "network or the HTTPS proxy",
            permanent=False,
        )

    def _failure(self, method: str, path: str, response: requests.Response) -> DnsProviderError:
        status = response.status_code
        detail = self.describe_error(response) or response.reason
        if status in (401, 403):
            hint = "check the credentials and their permissions"
        elif status == 429:
            hint = "rate limited, try again later"
        elif status >= 500:
            hint = "the provider's API failed, try again later"
        else:
            hint = f"{method} {path.split('?')[0]} was refused"
        return DnsProviderError(
            f"{self.provider_label}: HTTP {status}: {detail} ({hint})",
            permanent=not is_temporary_status(status),
        )
