"""HTTP for the providers that speak JSON over HTTPS with `requests`: the outbound
proxy (CERTLIFE_HTTPS_PROXY), time-outs, and retries of temporary failures with a
capped backoff, so every provider behaves the same towards a flaky API."""

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from django.conf import settings

from dns_providers.errors import DnsProviderError

TIMEOUT_SECONDS = (10, 30)  # connect, read
# Waits between attempts: four attempts in all, about 7 s at worst, so a worker is not
# held long; a longer outage fails the step as temporary and the task retries later.
RETRY_DELAYS_SECONDS = (1.0, 2.0, 4.0)
MAX_RETRY_AFTER_SECONDS = 10.0


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


def retry_after_seconds(response: requests.Response) -> float | None:
    try:
        return min(float(response.headers["Retry-After"]), MAX_RETRY_AFTER_SECONDS)
    except (KeyError, ValueError):
        return None


def is_temporary_status(status: int) -> bool:
    return status == 429 or status >= 500


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
        url = self.base_url + path
        for delay in (*RETRY_DELAYS_SECONDS, None):
            wait = delay
            try:
                response = self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
            except requests.RequestException as error:
                failure = self._unreachable(url, error)
            else:
                if response.status_code < 400:
                    return response
                failure = self._failure(method, path, response)
                wait = retry_after_seconds(response) or delay
            if failure.permanent or wait is None:
                raise failure
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

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
