"""Certificate files for download and email (spec P2). The private key is included
only when the caller asks for it explicitly (and the action checks the permission)."""

import re
from dataclasses import dataclass

import jks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from acme_orders.choices import ExportFormat

PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.DOTALL
)


class ExportProblem(ValueError):
    """The export cannot be made as asked (e.g. a keystore without a password)."""


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


def split_pem_certificates(pem: str) -> list[str]:
    return [block + "\n" for block in PEM_CERTIFICATE.findall(pem)]


def _certificates(certificate_pem: str, chain_pem: str) -> list[x509.Certificate]:
    pems = [certificate_pem, *split_pem_certificates(chain_pem)]
    return [x509.load_pem_x509_certificate(pem.encode()) for pem in pems]


def _private_key(private_key_pem: str):
    return serialization.load_pem_private_key(private_key_pem.encode(), password=None)


def build_export(
    export_format: str,
    *,
    name: str,
    certificate_pem: str,
    chain_pem: str,
    private_key_pem: str | None,
    password: str = "",
) -> ExportFile:
    """One file in the chosen format; `private_key_pem=None` leaves the key out."""
    stem = name.replace("*", "wildcard")
    if export_format == ExportFormat.PEM:
        body = certificate_pem + (private_key_pem or "")
        return ExportFile(f"{stem}.pem", "application/x-pem-file", body.encode())
    if export_format == ExportFormat.PEM_BUNDLE:
        body = certificate_pem + chain_pem + (private_key_pem or "")
        return ExportFile(f"{stem}-bundle.pem", "application/x-pem-file", body.encode())
    if not password:
        raise ExportProblem("A keystore password is required for PKCS#12 and JKS.")
    certificates = _certificates(certificate_pem, chain_pem)
    if export_format == ExportFormat.PKCS12:
        return ExportFile(
            f"{stem}.p12",
            "application/x-pkcs12",
            _pkcs12(stem, certificates, private_key_pem, password),
        )
    if export_format == ExportFormat.JKS:
        return ExportFile(
            f"{stem}.jks",
            "application/x-java-keystore",
            _jks(stem, certificates, private_key_pem, password),
        )
    raise ExportProblem(
        f"Unknown export format {export_format!r}; use one of {ExportFormat.values}."
    )


def _pkcs12(alias: str, certificates, private_key_pem, password: str) -> bytes:
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    key = _private_key(private_key_pem) if private_key_pem else None
    leaf, chain = certificates[0], certificates[1:]
    return pkcs12.serialize_key_and_certificates(
        alias.encode(), key, leaf, chain or None, encryption
    )


def _jks(alias: str, certificates, private_key_pem, password: str) -> bytes:
    ders = [c.public_bytes(serialization.Encoding.DER) for c in certificates]
    if private_key_pem:
        key_der = _private_key(private_key_pem).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        entry = jks.PrivateKeyEntry.new(alias, ders, key_der, "pkcs8")
        entry.encrypt(password)
        entries = [entry]
    else:
        entries = [
            jks.TrustedCertEntry.new(f"{alias}-{index}", der) for index, der in enumerate(ders)
        ]
    return jks.KeyStore.new("jks", entries).saves(password)
