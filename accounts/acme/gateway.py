"""The ACME gateway: every protocol step certlife takes with a CA, one public function
each, on a client from accounts.acme_client. None of them waits or polls
(docs/acme-notes.md: the library's poll helpers block and ignore Retry-After, so the
pipeline polls by rescheduling instead). The library's POST and POST-as-GET helpers
are private; this module is the only one that calls them.
"""

import base64
import datetime
from dataclasses import dataclass

import josepy as jose
import requests
from acme import challenges, crypto_util, messages
from acme.client import ClientV2
from cryptography import x509

from accounts.errors import NotAcmeServerError, describe_problem
from certlife.retry import parse_retry_after

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


def fetch_resource(client: ClientV2, url: str) -> requests.Response:
    """A POST-as-GET of a resource the CA named (account, order list, order,
    authorization, challenge, certificate), as the CA answered it."""
    return client._post_as_get(url)  # noqa: SLF001 (see module docstring)


def _post(client: ClientV2, url: str, body):
    return client._post(url, body)  # noqa: SLF001 (see module docstring)


class _ReplacingNewOrder(messages.NewOrder):
    """newOrder with RFC 9773's `replaces` (the acme library's NewOrder lacks it)."""

    replaces: str = jose.field("replaces", omitempty=True)


def offers_renewal_info(client: ClientV2) -> bool:
    try:
        client.directory["renewalInfo"]
    except KeyError:
        return False
    return True


def new_order(
    client: ClientV2, csr_pem: str, profile: str = "", replaces: str = ""
) -> messages.OrderResource:
    """A new order for the names in `csr_pem`, with the CA's `profile` when given, and
    `replaces` (the ARI CertID of the certificate it renews) when given and the CA
    offers renewalInfo (RFC 9773 section 5). A CA that refuses `replaces` answers a
    CaProblemError whose problem_code is "alreadyReplaced"."""
    if not (replaces and offers_renewal_info(client)):
        return client.new_order(csr_pem.encode(), profile=profile or None)
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    dns_names, ip_addresses = crypto_util.get_identifiers_from_x509(csr.subject, csr.extensions)
    identifiers = [messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=n) for n in dns_names]
    identifiers += [
        messages.Identifier(typ=messages.IDENTIFIER_IP, value=str(ip)) for ip in ip_addresses
    ]
    order = _ReplacingNewOrder(identifiers=identifiers, profile=profile or "", replaces=replaces)
    response = client._post(client.directory["newOrder"], order)  # noqa: SLF001
    body = messages.Order.from_json(response.json())
    authorizations = [
        client._authzr_from_response(fetch_resource(client, url), uri=url)  # noqa: SLF001
        for url in body.authorizations
    ]
    return messages.OrderResource(
        body=body,
        uri=response.headers.get("Location"),
        authorizations=authorizations,
        csr_pem=csr_pem.encode(),
    )


def poll_delay(client: ClientV2, response) -> float:
    """Seconds until the next poll: the server's Retry-After, clamped."""
    when = client.retry_after(response, DEFAULT_POLL_SECONDS)
    seconds = (when - datetime.datetime.now()).total_seconds()
    return min(max(seconds, 1), MAX_POLL_SECONDS)


def offered_challenges(client: ClientV2, order, challenge_type: str) -> list[OfferedChallenge]:
    """For each authorization of a new order, the challenge of our type ("http-01" or
    "dns-01"); types we do not use (Pebble's dns-account-01, tls-alpn-01) are
    ignored."""
    wanted = challenges.HTTP01 if challenge_type == challenges.HTTP01.typ else challenges.DNS01
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
        if challenge_type == challenges.HTTP01.typ
        else challenges.DNS01Response()
    )
    _post(client, challenge_url, response)


def fetch_authorization(client: ClientV2, url: str):
    """(Authorization body, response) of one authorization."""
    response = fetch_resource(client, url)
    return messages.Authorization.from_json(response.json()), response


def challenge_error(authorization, challenge_url: str) -> str:
    for challenge in authorization.challenges:
        if challenge.uri == challenge_url and challenge.error is not None:
            return describe_problem(challenge.error)
    return "The CA marked the authorization invalid without saying why."


def deactivate_authorization(client: ClientV2, url: str) -> None:
    _post(client, url, messages.UpdateAuthorization(status=messages.STATUS_DEACTIVATED))


def fetch_order(client: ClientV2, url: str):
    response = fetch_resource(client, url)
    return messages.Order.from_json(response.json()), response


def finalize(client: ClientV2, finalize_url: str, csr_pem: str) -> str:
    """Send the CSR; the order's status in the CA's answer ("valid" when the CA issued
    at once, usually "processing")."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    response = _post(client, finalize_url, messages.CertificateRequest(csr=csr))
    try:
        return str(response.json().get("status", ""))
    except (ValueError, AttributeError):
        return ""


def download_certificate(client: ClientV2, certificate_url: str) -> str:
    """The PEM chain: leaf first, then the intermediates."""
    return fetch_resource(client, certificate_url).text


def revoke_certificate(client: ClientV2, certificate_pem: str, reason: int) -> None:
    """Revoke the (leaf) certificate of `certificate_pem` with an RFC 5280 reason code
    (0 unspecified, 1 keyCompromise, 4 superseded, 5 cessationOfOperation...)."""
    client.revoke(x509.load_pem_x509_certificate(certificate_pem.encode()), reason)


@dataclass(frozen=True)
class RenewalInfo:
    """The CA's suggested renewal window (RFC 9773), and when to ask again."""

    window_start: datetime.datetime
    window_end: datetime.datetime
    explanation_url: str
    retry_after_seconds: float | None


def renewal_cert_id(certificate: x509.Certificate) -> str:
    """RFC 9773 section 4.1: base64url(AKI keyIdentifier) "." base64url(serial number's
    DER value bytes), without padding."""
    key_id = certificate.extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier
    ).value.key_identifier
    if key_id is None:
        raise ValueError("The certificate's Authority Key Identifier has no key identifier.")
    serial = certificate.serial_number
    # DER INTEGER content: big-endian two's complement, a leading 0 when the top bit is set.
    serial_bytes = serial.to_bytes(serial.bit_length() // 8 + 1, "big")
    return f"{_base64url(key_id)}.{_base64url(serial_bytes)}"


def renewal_info(client: ClientV2, certificate_pem: str) -> RenewalInfo | None:
    """The CA's renewalInfo for the leaf of `certificate_pem`; None when the CA offers
    no renewalInfo."""
    try:
        base_url = client.directory["renewalInfo"]
    except KeyError:
        return None
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    response = client.net.get(f"{base_url.rstrip('/')}/{renewal_cert_id(certificate)}")
    try:
        body = response.json()
        window = body["suggestedWindow"]
        start, end = (_rfc3339(window["start"]), _rfc3339(window["end"]))
    except (ValueError, KeyError, TypeError):
        raise NotAcmeServerError(
            "The CA's renewalInfo answer has no readable suggestedWindow.", permanent=True
        ) from None
    return RenewalInfo(
        window_start=start,
        window_end=end,
        explanation_url=str(body.get("explanationURL") or ""),
        retry_after_seconds=parse_retry_after(response.headers.get("Retry-After")),
    )


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _rfc3339(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
