"""Single ACME steps on a `ClientV2`, none of which waits or polls (acme-notes.md:
the library's poll helpers block and ignore Retry-After, so the pipeline polls by
rescheduling instead). The library's POST-as-GET helper is private; it is used here
only, in one place."""

import datetime
from dataclasses import dataclass

from acme import challenges, messages
from acme.client import ClientV2
from cryptography import x509

from acme_orders.choices import ChallengeType

DEFAULT_POLL_SECONDS = 2
MAX_POLL_SECONDS = 300


@dataclass(frozen=True)
class OfferedChallenge:
    domain: str
    authorization_url: str
    authorization_status: str
    challenge_url: str
    token: str
    key_authorization: str


def _post_as_get(client: ClientV2, url: str):
    return client._post_as_get(url)  # noqa: SLF001 (see module docstring)


def poll_delay(client: ClientV2, response) -> float:
    """Seconds until the next poll: the server's Retry-After, clamped."""
    when = client.retry_after(response, DEFAULT_POLL_SECONDS)
    seconds = (when - datetime.datetime.now()).total_seconds()
    return min(max(seconds, 1), MAX_POLL_SECONDS)


def offered_challenges(client: ClientV2, order, challenge_type: str) -> list[OfferedChallenge]:
    """For each authorization of a new order, the challenge of our type; types we do not
    use (Pebble's dns-account-01, tls-alpn-01) are ignored."""
    wanted = challenges.HTTP01 if challenge_type == ChallengeType.HTTP_01 else challenges.DNS01
    offered = []
    for authorization in order.authorizations:
        identifier = authorization.body.identifier.value
        domain = f"*.{identifier}" if authorization.body.wildcard else identifier
        match = next(
            (c for c in authorization.body.challenges if isinstance(c.chall, wanted)), None
        )
        if match is None and authorization.body.status != messages.STATUS_VALID:
            raise ValueError(f"The CA offers no {challenge_type} challenge for {domain}.")
        offered.append(
            OfferedChallenge(
                domain=domain,
                authorization_url=authorization.uri,
                authorization_status=authorization.body.status.name,
                challenge_url=match.uri if match else "",
                token=match.chall.encode("token") if match else "",
                key_authorization=match.chall.key_authorization(client.net.key) if match else "",
            )
        )
    return offered


def answer_challenge(client: ClientV2, challenge_url: str, challenge_type: str) -> None:
    response = (
        challenges.HTTP01Response()
        if challenge_type == ChallengeType.HTTP_01
        else challenges.DNS01Response()
    )
    client._post(challenge_url, response)  # noqa: SLF001 (see module docstring)


def fetch_authorization(client: ClientV2, url: str):
    """(Authorization body, response) of one authorization."""
    response = _post_as_get(client, url)
    return messages.Authorization.from_json(response.json()), response


def challenge_error(authorization, challenge_url: str) -> str:
    for challenge in authorization.challenges:
        if challenge.uri == challenge_url and challenge.error is not None:
            return describe_problem(challenge.error)
    return "The CA marked the authorization invalid without saying why."


def describe_problem(problem: messages.Error) -> str:
    return f"{problem.code or problem.typ}: {problem.detail or problem.title or ''}".strip()


def deactivate_authorization(client: ClientV2, url: str) -> None:
    client._post(url, messages.UpdateAuthorization(status=messages.STATUS_DEACTIVATED))  # noqa: SLF001


def fetch_order(client: ClientV2, url: str):
    response = _post_as_get(client, url)
    return messages.Order.from_json(response.json()), response


def finalize(client: ClientV2, finalize_url: str, csr_pem: str) -> None:
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    client._post(finalize_url, messages.CertificateRequest(csr=csr))  # noqa: SLF001


def download_certificate(client: ClientV2, certificate_url: str) -> str:
    """The PEM chain: leaf first, then the intermediates."""
    return _post_as_get(client, certificate_url).text
