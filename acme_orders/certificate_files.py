"""Reading certificates and keys from PEM (what the repository stores about them)."""

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CertificateFacts:
    common_name: str
    domains: list[str]
    serial_number: str
    issuer: str
    key_type: str
    not_before: datetime
    not_after: datetime
    key_fingerprint: str


def describe_key(public_key) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "EC P-256", "secp384r1": "EC P-384"}.get(
            public_key.curve.name, f"EC {public_key.curve.name}"
        )
    return type(public_key).__name__


def key_fingerprint(public_key) -> str:
    """`SHA256:` and the unpadded base64 of the SHA-256 of the key's SubjectPublicKeyInfo
    DER, as OpenSSH writes fingerprints: the same for every certificate of one key, so a
    renewal that kept its key shows the same fingerprint (spec N2, R5)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def describe_certificate(certificate_pem: str) -> CertificateFacts:
    """Subject, names, serial, issuer, key type, key fingerprint and validity of a PEM
    certificate."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        domains = san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        domains = []
    common_name = str(common_names[0].value) if common_names else (domains[0] if domains else "")
    ordered = [common_name] + [name for name in domains if name != common_name]
    return CertificateFacts(
        common_name=common_name,
        domains=[name for name in ordered if name],
        serial_number=format(certificate.serial_number, "x"),
        issuer=certificate.issuer.rfc4514_string(),
        key_type=describe_key(certificate.public_key()),
        key_fingerprint=key_fingerprint(certificate.public_key()),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
