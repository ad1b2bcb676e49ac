"""The ARI CertID (RFC 9773 section 4.1): base64url of the Authority Key Identifier's
keyIdentifier, ".", base64url of the serial number's DER content octets, no padding."""

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from accounts.acme.gateway import renewal_cert_id

# RFC 9773 Appendix A: the example certificate and the CertID the RFC gives for it.
RFC_9773_EXAMPLE = """-----BEGIN CERTIFICATE-----
MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt
cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS
BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu
7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf
qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B
yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb
+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK
-----END CERTIFICATE-----
"""


def test_the_rfc_9773_appendix_a_example():
    certificate = x509.load_pem_x509_certificate(RFC_9773_EXAMPLE.encode())
    assert renewal_cert_id(certificate) == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"


def certificate_with_serial(serial: int) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a.example.com")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2026, 4, 1, tzinfo=UTC))
        .add_extension(x509.AuthorityKeyIdentifier(b"\x01\x02\x03", None, None), critical=False)
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    ("serial", "encoded"),
    [
        (0x7F, "fw"),  # one octet, top bit clear
        (0x80, "AIA"),  # top bit set: a leading zero octet, as DER writes it
        (0x0102, "AQI"),
        (0x87654321, "AIdlQyE"),
    ],
)
def test_the_serial_is_its_der_content_octets(serial, encoded):
    assert renewal_cert_id(certificate_with_serial(serial)) == f"AQID.{encoded}"


def test_a_certificate_without_a_key_identifier_has_no_cert_id():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a.example.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(5)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2026, 4, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(x509.ExtensionNotFound):
        renewal_cert_id(certificate)
