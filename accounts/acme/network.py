"""The acme library's network layer with certlife's outbound guard, proxy, errors and
retries (see accounts.acme_client for the contract every client keeps).

A `ClientNetwork` is not thread-safe: build one per call or task run.
"""

import contextlib
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlsplit

import josepy as jose
import requests
from acme import client as acme_client
from acme import errors as acme_errors
from acme import messages
from django.conf import settings

from accounts.errors import (
    AcmeError,
    CaBusyError,
    CaProblemError,
    CaUnreachableError,
    DestinationRefusedError,
    NotAcmeServerError,
    describe_problem,
)
from certlife import retry
from certlife.outbound import RefusedDestination, guarded_session
from certlife.retry import call_with_retries, is_temporary_status, parse_retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one client tries before it raises."""

    bad_nonce_retries: int = 15  # each retry is one cheap request with a fresh nonce
    busy_retries: int = 3  # 429, 5xx and connection failures
    max_inline_wait: float = 10.0  # longer Retry-After waits are left to the caller
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0

    @property
    def retry(self) -> retry.RetryPolicy:
        return retry.RetryPolicy(
            retries=self.busy_retries,
            immediate_retries=self.bad_nonce_retries,
            max_inline_wait=self.max_inline_wait,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
        )


# Celery tasks and other background work.
BACKGROUND_POLICY = RetryPolicy()
# Interactive account actions: a person waits for the page, so give up sooner.
INTERACTIVE_POLICY = RetryPolicy(
    busy_retries=2, max_inline_wait=3.0, backoff_cap=2.0, connect_timeout=5.0, read_timeout=15.0
)


def _user_agent() -> str:
    try:
        version = metadata.version("certlife")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"certlife/{version} acme-python/{metadata.version('acme')}"


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def _problem_from(response: requests.Response) -> messages.Error | None:
    try:
        return messages.Error.from_json(response.json())
    except (ValueError, jose.DeserializationError):
        return None


def _unreachable_reason(error: requests.RequestException, policy: RetryPolicy) -> str:
    if isinstance(error, requests.exceptions.ProxyError):
        return "the outbound proxy (HTTPS_PROXY) failed or refused the connection"
    if isinstance(error, requests.exceptions.SSLError):
        return (
            "its TLS certificate is not trusted (for a private CA, set REQUESTS_CA_BUNDLE)"
            " or the TLS handshake failed"
        )
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"no connection within {policy.connect_timeout:g} s"
    if isinstance(error, requests.exceptions.ReadTimeout):
        return f"no answer within {policy.read_timeout:g} s"
    return "the connection failed (refused, reset, or the name does not resolve)"


class RetryingClientNetwork(acme_client.ClientNetwork):
    """The acme library's network layer with certlife's proxy, errors and retries."""

    def __init__(self, key: jose.JWK | None, *, alg=jose.RS256, policy: RetryPolicy):
        super().__init__(
            key,
            alg=alg,
            verify_ssl=settings.REQUESTS_CA_BUNDLE or True,
            user_agent=_user_agent(),
            # requests takes (connect, read); the library's hint says int.
            timeout=(policy.connect_timeout, policy.read_timeout),  # type: ignore[arg-type]
        )
        self.session.close()
        self.session = guarded_session()
        self.policy = policy
        self.proxy_url = settings.CERTLIFE_HTTPS_PROXY

    def _send_request(self, method: str, url: str, *args, **kwargs) -> requests.Response:
        if self.proxy_url and not requests.utils.should_bypass_proxies(url, no_proxy=None):
            kwargs.setdefault("proxies", {"http": self.proxy_url, "https": self.proxy_url})
        try:
            return super()._send_request(method, url, *args, **kwargs)
        except RefusedDestination as refusal:
            raise DestinationRefusedError(refusal.message) from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ):
            raise NotAcmeServerError(f"{url} is not a valid http(s) URL.", permanent=True) from None
        except requests.RequestException as error:
            reason = _unreachable_reason(error, self.policy)
            raise CaUnreachableError(
                f"Cannot reach the CA at {host_of(url)}: {reason}.", permanent=False
            ) from None

    # An instance method over the library's classmethod: it keeps an error answer's
    # nonce on this network object.
    def _check_response(  # type: ignore[override]
        self, response: requests.Response, content_type: str | None = None
    ):
        if response.ok:
            try:
                return super()._check_response(response, content_type=content_type)
            except acme_errors.ClientError:
                raise NotAcmeServerError(
                    f"{host_of(response.url)} did not answer with ACME JSON "
                    f"(Content-Type {response.headers.get('Content-Type', 'none')}).",
                    permanent=True,
                ) from None
        self._keep_nonce_of_error_answer(response)
        raise self._error_for(response)

    def _keep_nonce_of_error_answer(self, response: requests.Response) -> None:
        # RFC 8555 6.5: an error answer carries a fresh nonce; using it saves a request.
        if self.REPLAY_NONCE_HEADER in response.headers:
            with contextlib.suppress(acme_errors.NonceError):
                self._add_nonce(response)

    def _error_for(self, response: requests.Response) -> Exception:
        status, host = response.status_code, host_of(response.url)
        problem = _problem_from(response)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if is_temporary_status(status):
            what = "is rate limiting" if status == 429 else "is unavailable"
            detail = f": {describe_problem(problem)}" if problem else ""
            return CaBusyError(
                f"The CA at {host} {what} (HTTP {status}){detail}.",
                retry_after=retry_after,
                status=status,
                problem_type=problem.typ if problem else None,
            )
        if problem is None:
            if status == 409:
                # Kept as the acme library raises it: its callers look for ConflictError.
                return acme_errors.ConflictError(response.headers.get("Location", ""))
            return NotAcmeServerError(
                f"{host} answered HTTP {status} without an ACME problem document: "
                "is this an ACME server?",
                permanent=True,
            )
        return CaProblemError(
            f"The CA at {host} refused the request: {describe_problem(problem)}.",
            permanent=problem.code != "badNonce",
            retry_after=retry_after,
            problem=problem,
            status=status,
        )

    def _with_retries(self, send_once):
        return call_with_retries(
            send_once,
            policy=self.policy.retry,
            retry_on=(AcmeError,),
            is_temporary=lambda error: isinstance(error, CaBusyError | CaUnreachableError),
            is_immediate=lambda error: (
                isinstance(error, CaProblemError) and error.problem_code == "badNonce"
            ),
        )

    def get(self, url: str, content_type: str = acme_client.ClientNetwork.JSON_CONTENT_TYPE, **kw):
        send_once = super().get
        return self._with_retries(lambda: send_once(url, content_type, **kw))

    def post(self, *args, **kwargs):
        """POST a JWS, re-signed with a fresh nonce on every attempt."""
        return self._with_retries(lambda: self._post_once(*args, **kwargs))
