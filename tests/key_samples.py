"""Private keys of every shape, and pastes that are not one usable key, for the tests of
imported certificate keys and imported account keys. Keys are made once per run."""

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from tests.factories import make_certificate_pem

NO_ENCRYPTION = serialization.NoEncryption()


def to_pem(key, private_format=serialization.PrivateFormat.PKCS8, encryption=NO_ENCRYPTION) -> str:
    return key.private_bytes(serialization.Encoding.PEM, private_format, encryption).decode()


def _rsa_of_odd_size(bits: int) -> rsa.RSAPrivateKey:
    """OpenSSL rounds odd sizes down, so an RSA key of e.g. 2049 bits is built from a
    prime one bit longer than its partner (both have their top two bits set)."""
    longer = rsa.generate_private_key(65537, bits + 1).private_numbers().p
    shorter = rsa.generate_private_key(65537, bits - 1).private_numbers().q
    exponent = 65537
    private = pow(exponent, -1, (longer - 1) * (shorter - 1))
    numbers = rsa.RSAPrivateNumbers(
        longer, shorter, private,
        rsa.rsa_crt_dmp1(private, longer), rsa.rsa_crt_dmq1(private, shorter),
        rsa.rsa_crt_iqmp(longer, shorter),
        rsa.RSAPublicNumbers(exponent, longer * shorter),
    )  # fmt: skip
    key = numbers.private_key()
    assert key.key_size == bits
    return key


MAKERS = {
    "RSA 2048": lambda: rsa.generate_private_key(65537, 2048),
    "RSA 3072": lambda: rsa.generate_private_key(65537, 3072),
    "RSA 4096": lambda: rsa.generate_private_key(65537, 4096),
    "EC P-256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EC P-384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "RSA 1024": lambda: rsa.generate_private_key(65537, 1024),  # noqa: S505 - refused on purpose
    "RSA 2049": lambda: _rsa_of_odd_size(2049),
    "RSA 8192": lambda: rsa.generate_private_key(65537, 8192),
    "RSA 2048 e=3": lambda: rsa.generate_private_key(3, 2048),
    "EC secp256k1": lambda: ec.generate_private_key(ec.SECP256K1()),
    "EC P-521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "Ed25519": ed25519.Ed25519PrivateKey.generate,
    "DSA": lambda: dsa.generate_private_key(2048),
}
OFFERED = ["RSA 2048", "RSA 3072", "RSA 4096", "EC P-256", "EC P-384"]
# Each refused shape, with words of the rule its refusal names.
REFUSED_SHAPES = {
    "RSA 1024": "2048, 3072 or 4096 bits; this one is 1024",
    "RSA 2049": "2048, 3072 or 4096 bits; this one is 2049",
    "RSA 8192": "2048, 3072 or 4096 bits; this one is 8192",
    "RSA 2048 e=3": "public exponent must be 65537",
    "EC secp256k1": "P-256 or P-384; this one is on secp256k1",
    "EC P-521": "P-256 or P-384; this one is on secp521r1",
    "Ed25519": "Ed25519 keys are not offered",
    "DSA": "DSA keys are not offered",
}


@functools.cache
def key_of(shape: str):
    return MAKERS[shape]()


@functools.cache
def pem_of(shape: str) -> str:
    return to_pem(key_of(shape))


def _encrypted(private_format) -> str:
    return to_pem(
        key_of("EC P-256"), private_format, serialization.BestAvailableEncryption(b"passphrase")
    )


def _public_key() -> str:
    public = key_of("EC P-256").public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _certificate() -> str:
    return make_certificate_pem(["a.example.com"], pem_of("EC P-256"), days_left=30)


def _non_ascii() -> str:
    lines = pem_of("EC P-256").splitlines()
    lines[1] = "é" + lines[1][1:]
    return "\n".join(lines)


# Pastes that are not one usable key, with words of the rule each refusal names.
NOT_ONE_KEY = {
    "garbage": (lambda: "hello, this is not a key", "not a PEM private key"),
    "damaged base64": (
        lambda: pem_of("EC P-256").replace("\n", "\n!!", 1),
        "not a readable PEM private key",
    ),
    "encrypted PKCS#8": (lambda: _encrypted(serialization.PrivateFormat.PKCS8), "encrypted"),
    "encrypted traditional": (
        lambda: _encrypted(serialization.PrivateFormat.TraditionalOpenSSL),
        "encrypted",
    ),
    "two keys": (lambda: pem_of("EC P-256") + pem_of("EC P-384"), "exactly one private key"),
    "key and certificate": (
        lambda: pem_of("EC P-256") + _certificate(),
        "exactly one private key",
    ),
    "certificate": (_certificate, "certificate, not a private key"),
    "public key": (_public_key, "public key, not a private key"),
    "OpenSSH key": (
        lambda: to_pem(key_of("EC P-256"), serialization.PrivateFormat.OpenSSH),
        "OpenSSH key",
    ),
    # A real key, then 2 MB (under Django's request body limit): only the length bound
    # refuses it, before any parsing.
    "huge": (lambda: pem_of("EC P-256") + "\n" + "A" * 100_000, "16384 characters"),
    "non-ASCII": (_non_ascii, "plain ASCII"),
}


def not_one_key(case: str) -> str:
    return NOT_ONE_KEY[case][0]()


def pem_with_extras(kind: str) -> str:
    """Real-world wrappings of one EC P-256 key that must be accepted."""
    key = key_of("EC P-256")
    traditional = to_pem(key, serialization.PrivateFormat.TraditionalOpenSSL)
    return {
        "EC PARAMETERS first": (
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
            + traditional
        ),
        "bag attributes": "Bag Attributes\n    localKeyID: 01 02 03\n" + pem_of("EC P-256"),
        "CRLF line ends": traditional.replace("\n", "\r\n"),
    }[kind]


EXTRAS = ["EC PARAMETERS first", "bag attributes", "CRLF line ends"]


def secret_lines(pem: str) -> list[str]:
    """The base64 lines of a PEM: none may appear in a page or an answer."""
    return [line for line in pem.splitlines() if line.strip() and "-----" not in line]
