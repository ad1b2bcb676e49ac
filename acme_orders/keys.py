"""Certificate keys and CSRs (spec R2, R5). Called from Celery tasks only: generating
an RSA key can take seconds and never belongs in a web request."""

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from acme_orders.choices import KeyAlgorithm, SignatureAlgorithm

RSA_SIZES = (2048, 3072, 4096)
EC_CURVES = {256: ec.SECP256R1, 384: ec.SECP384R1}
SIGNATURE_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    SignatureAlgorithm.SHA256_RSA: hashes.SHA256,
    SignatureAlgorithm.SHA384_RSA: hashes.SHA384,
    SignatureAlgorithm.SHA512_RSA: hashes.SHA512,
    SignatureAlgorithm.SHA256_ECDSA: hashes.SHA256,
    SignatureAlgorithm.SHA384_ECDSA: hashes.SHA384,
}
SIGNATURES_FOR: dict[str, set[str]] = {
    KeyAlgorithm.RSA: {
        SignatureAlgorithm.SHA256_RSA,
        SignatureAlgorithm.SHA384_RSA,
        SignatureAlgorithm.SHA512_RSA,
    },
    KeyAlgorithm.EC: {SignatureAlgorithm.SHA256_ECDSA, SignatureAlgorithm.SHA384_ECDSA},
}
# Certificates carry the first name as CN only when it fits the 64-character CN limit.
MAX_COMMON_NAME_LENGTH = 64


class KeyProblem(ValueError):
    """An unusable key or key choice; the message names what is wrong."""


def check_key_choice(algorithm: str, size: int, signature_algorithm: str) -> None:
    if algorithm == KeyAlgorithm.RSA and size not in RSA_SIZES:
        raise KeyProblem(f"RSA keys are 2048, 3072 or 4096 bits, not {size}.")
    if algorithm == KeyAlgorithm.EC and size not in EC_CURVES:
        raise KeyProblem(f"EC keys use P-256 or P-384 (key size 256 or 384), not {size}.")
    if signature_algorithm not in SIGNATURES_FOR.get(algorithm, set()):
        allowed = ", ".join(sorted(SIGNATURES_FOR.get(algorithm, set())))
        raise KeyProblem(f"{signature_algorithm} does not go with {algorithm} keys; use {allowed}.")


def generate_private_key_pem(algorithm: str, size: int) -> str:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm == KeyAlgorithm.RSA:
        key = rsa.generate_private_key(public_exponent=65537, key_size=size)
    else:
        key = ec.generate_private_key(EC_CURVES[size]())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def key_algorithm_and_size(key) -> tuple[str, int]:
    if isinstance(key, rsa.RSAPrivateKey):
        return KeyAlgorithm.RSA, key.key_size
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return KeyAlgorithm.EC, key.curve.key_size
    raise KeyProblem("Only RSA and EC (P-256, P-384) keys can be used for certificates.")


def load_imported_key(
    key_pem: str, *, forbidden_public_keys: Sequence[bytes] = ()
) -> tuple[str, int]:
    """Check an imported key (R5): parseable, unencrypted, allowed type and size, and not
    one of `forbidden_public_keys` (DER SubjectPublicKeyInfo, e.g. the account key's).
    Returns its (algorithm, size)."""
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except TypeError:
        raise KeyProblem("The key is encrypted; import it without a passphrase.") from None
    except ValueError:
        raise KeyProblem("This is not a PEM private key.") from None
    algorithm, size = key_algorithm_and_size(key)
    if algorithm == KeyAlgorithm.RSA and size not in RSA_SIZES:
        raise KeyProblem(f"RSA keys must be 2048, 3072 or 4096 bits; this one is {size}.")
    if algorithm == KeyAlgorithm.EC and size not in EC_CURVES:
        raise KeyProblem("EC keys must be on P-256 or P-384.")
    if public_key_der(key_pem) in forbidden_public_keys:
        raise KeyProblem("This is the ACME account key; a certificate needs a key of its own.")
    return algorithm, size


def public_key_der(private_key_pem: str) -> bytes:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def build_csr_pem(private_key_pem: str, domains: list[str], signature_algorithm: str) -> str:
    """A CSR for every name (SANs), the first as CN when it fits."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyProblem("Only RSA and EC keys can sign a certificate request.")
    subject = []
    if len(domains[0]) <= MAX_COMMON_NAME_LENGTH:
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, domains[0])]
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(subject))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in domains]), critical=False
        )
        .sign(key, SIGNATURE_HASHES[signature_algorithm]())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()
