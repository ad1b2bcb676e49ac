"""Account keys: make, load and check them, and pick the JWS algorithm for one.

Every account key signs with RSA -> RS256, EC P-256 -> ES256 or EC P-384 -> ES384.
"""

import josepy as jose
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from accounts.errors import UnsupportedAccountKeyError
from certlife.private_keys import PrivateKeyProblem, load_private_key_pem

EC_CURVE_ALGORITHMS = {"secp256r1": jose.ES256, "secp384r1": jose.ES384}


def generate_account_key_pem() -> str:
    """A new EC P-256 account key as PKCS#8 PEM (fast to make, accepted by every CA)."""
    return private_key_to_pem(ec.generate_private_key(ec.SECP256R1()))


def private_key_to_pem(private_key) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def load_account_key(key_pem: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """The private key in `key_pem`, checked to be one of the shapes certlife offers
    (certlife.private_keys), which every CA accepts for accounts."""
    try:
        return load_private_key_pem(key_pem)
    except PrivateKeyProblem as problem:
        raise UnsupportedAccountKeyError(str(problem)) from None


def jwk_and_algorithm(key_pem: str) -> tuple[jose.JWK, jose.JWASignature]:
    private_key = load_account_key(key_pem)
    if isinstance(private_key, rsa.RSAPrivateKey):
        return jose.JWKRSA(key=private_key), jose.RS256
    return jose.JWKEC(key=private_key), EC_CURVE_ALGORITHMS[private_key.curve.name]
