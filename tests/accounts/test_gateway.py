"""The ACME gateway (accounts.acme.gateway): every step of an issuance and a
revocation against the harness Pebble; renewalInfo (RFC 9773, which the harness
Pebble does not offer) against a small fake CA."""

import datetime
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from accounts.acme import gateway
from accounts.acme.keys import generate_account_key_pem
from accounts.acme_client import acme_client_for, acme_client_for_key
from acme_orders import keys
from acme_orders.choices import SignatureAlgorithm
from tests.accounts.fake_ca import CannedAnswer, FakeCa
from tests.factories import make_key_pem

NAMES = ["www.example.com", "example.com"]
KEY_COMPROMISE = 1


def _certificate(*, authority_key_id: bytes, serial: int) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "certid.test")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.AuthorityKeyIdentifier(authority_key_id, None, None), critical=False)
        .sign(key, hashes.SHA256())
    )


def test_renewal_cert_id_matches_rfc_9773_appendix_a():
    certificate = _certificate(
        authority_key_id=bytes.fromhex("69885b6b87464041e1b37b847ba0ae2cde01c8d4"),
        serial=0x87654321,
    )
    assert gateway.renewal_cert_id(certificate) == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"


def test_renewal_cert_id_keeps_a_serial_without_its_top_bit_set_short():
    certificate = _certificate(authority_key_id=b"\x01\x02", serial=0x7F01)
    assert gateway.renewal_cert_id(certificate) == "AQI.fwE"


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_renewal_info_reads_the_suggested_window_and_retry_after(allow_loopback):
    certificate = _certificate(authority_key_id=b"\x01\x02", serial=0x7F01)
    with FakeCa() as ca:
        ca._directory = {**ca.directory(), "renewalInfo": ca.url + "/renewal-info/"}
        ca.get_answers["/renewal-info/AQI.fwE"] = CannedAnswer(
            200,
            {
                "suggestedWindow": {
                    "start": "2026-01-02T03:04:05Z",
                    "end": "2026-01-03T03:04:05Z",
                },
                "explanationURL": "https://ca.test/why",
            },
            {"Retry-After": "21600"},
        )
        client = acme_client_for_key(ca.directory_url, generate_account_key_pem())

        info = gateway.renewal_info(client, _pem(certificate))

    assert info == gateway.RenewalInfo(
        window_start=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        window_end=datetime.datetime(2026, 1, 3, 3, 4, 5, tzinfo=datetime.UTC),
        explanation_url="https://ca.test/why",
        retry_after_seconds=21600.0,
    )


def test_renewal_info_is_none_when_the_ca_offers_none(allow_loopback):
    certificate = _certificate(authority_key_id=b"\x01\x02", serial=0x7F01)
    with FakeCa() as ca:
        client = acme_client_for_key(ca.directory_url, generate_account_key_pem())
        assert gateway.renewal_info(client, _pem(certificate)) is None
        assert [request.method for request in ca.received] == ["GET"]  # the directory


def _until(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError("the CA did not get there in time")


@pytest.mark.e2e
def test_issue_then_renewal_info_then_revoke_through_the_gateway(pebble, pebble_account):
    client = acme_client_for(pebble_account)
    key_pem = make_key_pem()
    csr_pem = keys.build_csr_pem(key_pem, NAMES, SignatureAlgorithm.SHA256_ECDSA)

    order = gateway.new_order(client, csr_pem)
    offered = gateway.offered_challenges(client, order, "http-01")
    with pebble.http01_server() as token_server:
        for challenge in offered:
            token_server.tokens[challenge.token] = challenge.key_authorization
            gateway.answer_challenge(client, challenge.challenge_url, "http-01")
        for challenge in offered:
            _until(
                lambda c=challenge: (
                    gateway.fetch_authorization(client, c.authorization_url)[0].status.name
                    == "valid"
                )
            )
    gateway.finalize(client, order.body.finalize, csr_pem)
    issued = _until(lambda: gateway.fetch_order(client, order.uri)[0].certificate)
    chain_pem = gateway.download_certificate(client, issued)
    leaf = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    serial_hex = format(leaf.serial_number, "x")
    assert pebble.cert_status(serial_hex)["Status"] == "Valid"

    gateway.revoke_certificate(client, chain_pem, KEY_COMPROMISE)
    assert pebble.cert_status(serial_hex)["Status"] == "Revoked"
