"""Certificate keys and CSRs (spec R2, R5). Called from Celery tasks only: generating
an RSA key can take seconds and never belongs in a web request."""

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from acme_orders.choices import (
    KEY_SIZES_FOR_KEY,
    SIGNATURES_FOR_KEY,
    KeyAlgorithm,
    SignatureAlgorithm,
)
from certlife.private_keys import (
    EC_CURVES,
    OFFERED_KEY_SHAPES,
    KeyShape,
    PrivateKeyProblem,
    key_shape,
    load_private_key_pem,
    one_of,
)

SIGNATURE_HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    SignatureAlgorithm.SHA256_RSA: hashes.SHA256,
    SignatureAlgorithm.SHA384_RSA: hashes.SHA384,
    SignatureAlgorithm.SHA512_RSA: hashes.SHA512,
    SignatureAlgorithm.SHA256_ECDSA: hashes.SHA256,
    SignatureAlgorithm.SHA384_ECDSA: hashes.SHA384,
}
# Certificates carry the first name as CN only when it fits the 64-character CN limit.
MAX_COMMON_NAME_LENGTH = 64


class KeyProblem(ValueError):
    """An unusable key or key choice; the message names what is wrong."""


def check_key_choice(algorithm: str, size: int, signature_algorithm: str) -> None:
    """KeyProblem unless the key size and signature are on the menu of `algorithm`
    (acme_orders.choices)."""
    sizes = KEY_SIZES_FOR_KEY.get(algorithm, ())
    if algorithm == KeyAlgorithm.RSA and size not in sizes:
        raise KeyProblem(f"RSA keys are {one_of(sizes)} bits, not {size}.")
    if algorithm == KeyAlgorithm.EC and size not in sizes:
        curves = one_of(f"P-{bits}" for bits in sizes)
        raise KeyProblem(f"EC keys use {curves} (key size {one_of(sizes)}), not {size}.")
    signatures = SIGNATURES_FOR_KEY.get(algorithm, ())
    if signature_algorithm not in signatures:
        allowed = ", ".join(sorted(signatures))
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


def load_imported_key(
    key_pem: str, *, algorithm: str, size: int, forbidden_public_keys: Sequence[bytes] = ()
) -> KeyShape:
    """Check an imported key (R5): one unencrypted PEM private key of an offered shape
    (certlife.private_keys), of the `algorithm` and `size` the request declares, and not
    one of `forbidden_public_keys` (DER SubjectPublicKeyInfo, e.g. the account key's)."""
    try:
        key = load_private_key_pem(key_pem)
    except PrivateKeyProblem as problem:
        raise KeyProblem(str(problem)) from None
    shape = key_shape(key)
    declared = KeyShape(algorithm, size)
    if declared in OFFERED_KEY_SHAPES and shape != declared:
        raise KeyProblem(
            f"The key is {shape.label} but the request declares {declared.label}; "
            f"declare {shape.label} or paste an {declared.label} key."
        )
    public_key = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if public_key in forbidden_public_keys:
        raise KeyProblem("This is the ACME account key; a certificate needs a key of its own.")
    return shape


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
